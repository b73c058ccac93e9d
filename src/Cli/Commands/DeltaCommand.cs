using System.CommandLine;
using System.Diagnostics;
using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Deltas;

namespace FleetQuant.Cli.Commands;

/// <summary><c>fleetquant delta --base a.fqa --target b.fqa --out d.fqd</c>: the bytes that turn A into B.</summary>
public static class DeltaCommand
{
    public static Command Create()
    {
        var source = new Option<string>("--base") { Description = "Artifact the device has", Required = true };
        var target = new Option<string>("--target") { Description = "Artifact the device should end up with", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the delta (.fqd)", Required = true };
        var command = new Command("delta", "Make a delta that turns one artifact into another") { source, target, output };
        command.SetAction(parse =>
        {
            var a = ReadFile(parse.GetValue(source)!, "base artifact");
            var b = ReadFile(parse.GetValue(target)!, "target artifact");
            var clock = Stopwatch.StartNew();
            var delta = DeltaEncoder.Create(a, b);
            var encodeMs = clock.Elapsed.TotalMilliseconds;
            var outPath = parse.GetValue(output)!;
            ArtifactFiles.WriteAtomically(outPath, s =>
            {
                s.Write(delta);
                return 0;
            });
            Console.Out.WriteLine($"delta → {outPath}: {delta.Length} bytes ({100.0 * delta.Length / Math.Max(1, b.Length):F1}% of the {b.Length}-byte target), encoded in {encodeMs:F1} ms");
            return 0;
        });
        return command;
    }

    private static byte[] ReadFile(string path, string what)
    {
        using var stream = ArtifactFiles.OpenRead(path, what);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
