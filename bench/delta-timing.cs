#:project ../src/Compression/FleetQuant.Compression.csproj
#:property PublishAot=false
// Warm-JIT timing of DeltaEncoder.Create and DeltaDecoder.Apply for bench/delta-comparison.sh.
// Usage: dotnet run bench/delta-timing.cs -- <base.fqa> <target.fqa> [runs]
// Prints "<delta bytes> <encode wall ms> <encode CPU ms> <apply wall ms> <apply CPU ms>", each the median of the runs,
// after warming both up (at least 30 untimed runs and one second). CPU time (user + system of this process) is what a
// loaded machine does not inflate.
using System.Diagnostics;
using FleetQuant.Compression.Deltas;

var a = File.ReadAllBytes(args[0]);
var b = File.ReadAllBytes(args[1]);
var runs = args.Length > 2 ? int.Parse(args[2]) : 15;
// Warm until tiered compilation has promoted the hot paths: a method is recompiled optimized only after 30 calls
// and a quiet spell, so one untimed call leaves much of the encoder in unoptimized code for the timed runs.
var delta = DeltaEncoder.Create(a, b);
Apply(a, delta);
var warming = Stopwatch.StartNew();
for (var i = 0; i < 30 || warming.ElapsedMilliseconds < 1000; i++)
{
    delta = DeltaEncoder.Create(a, b);
    Apply(a, delta);
}
var encode = new List<double>();
var encodeCpu = new List<double>();
var apply = new List<double>();
var applyCpu = new List<double>();
var process = Process.GetCurrentProcess();
for (var i = 0; i < runs; i++)
{
    var cpu = Cpu(process);
    var clock = Stopwatch.StartNew();
    delta = DeltaEncoder.Create(a, b);
    encode.Add(clock.Elapsed.TotalMilliseconds);
    encodeCpu.Add(Cpu(process) - cpu);
    cpu = Cpu(process);
    clock.Restart();
    var rebuilt = Apply(a, delta);
    apply.Add(clock.Elapsed.TotalMilliseconds);
    applyCpu.Add(Cpu(process) - cpu);
    if (!rebuilt.AsSpan().SequenceEqual(b))
    {
        throw new InvalidOperationException("patched artifact differs from the target");
    }
}
Console.WriteLine($"{delta.Length} {Median(encode):F2} {Median(encodeCpu):F2} {Median(apply):F2} {Median(applyCpu):F2}");

static double Cpu(Process process)
{
    process.Refresh();
    return process.TotalProcessorTime.TotalMilliseconds;
}

static byte[] Apply(byte[] a, byte[] delta)
{
    using var source = new MemoryStream(a, writable: false);
    using var input = new MemoryStream(delta, writable: false);
    using var output = new MemoryStream();
    DeltaDecoder.Apply(source, input, output);
    return output.ToArray();
}

static double Median(List<double> values)
{
    values.Sort();
    return values[values.Count / 2];
}
