using System.CommandLine;
using System.Diagnostics;
using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Deltas;

namespace FleetQuant.Cli.Commands;

/// <summary><c>fleetquant patch --base a.fqa --delta d.fqd --out b.fqa</c>: rebuilds the target artifact exactly.</summary>
public static class PatchCommand
{
    public static Command Create()
    {
        var source = new Option<string>("--base") { Description = "Artifact the delta was made from", Required = true };
        var delta = new Option<string>("--delta") { Description = "Delta (.fqd) to apply", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the rebuilt artifact", Required = true };
        var command = new Command("patch", "Apply a delta to an artifact; the result is checked against the target's SHA-256") { source, delta, output };
        command.SetAction(parse =>
        {
            var outPath = parse.GetValue(output)!;
            using var baseStream = ArtifactFiles.OpenRead(parse.GetValue(source)!, "base artifact");
            using var deltaStream = ArtifactFiles.OpenRead(parse.GetValue(delta)!, "delta");
            var clock = Stopwatch.StartNew();
            var info = ArtifactFiles.WriteAtomically(outPath, s => DeltaDecoder.Apply(baseStream, deltaStream, s));
            Console.Out.WriteLine($"patched → {outPath}: {info.TargetBytes} bytes, sha256 {info.TargetSha256} verified; tensors copied {info.TensorsCopied}, patched {info.TensorsPatched}, whole {info.TensorsWhole}; applied in {clock.Elapsed.TotalMilliseconds:F1} ms, peak extra memory {info.PeakExtraBytes} bytes");
            return 0;
        });
        return command;
    }
}
