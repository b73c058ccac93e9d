using System.Diagnostics;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Training.Graph;
using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;

namespace FleetQuant.GrainBench;

/// <summary>
/// Measures, on one silo: device provisioning, telemetry ingestion (grain calls per second) and the time to
/// plan and fan out a rollout to every registered device. Prints one line per measurement.
/// </summary>
public sealed class GrainBench(IGrainFactory grains, int devices, int telemetryCalls, int concurrency)
{
    public async Task RunAsync()
    {
        var ids = Enumerable.Range(0, devices).Select(i => $"bench-{i:D6}").ToArray();

        // A lookup, not Array.IndexOf: a linear scan per call made provisioning quadratic in the fleet size.
        var position = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        var provision = await TimedAsync(ids, id => grains.GetGrain<IDeviceGrain>(id)
            .Provision(new ProvisionRequest(Profile(id, position[id] % 3), "bench-secret-0123456789")));
        Report("provision", devices, provision);

        var telemetryTargets = ids.Take(Math.Min(devices, 10_000)).ToArray();
        double[] latencies = [12.5, 13.1, 11.9, 14.2, 12.8, 13.3, 12.2, 15.0];
        var telemetry = await TimedAsync(Enumerable.Range(0, telemetryCalls).Select(i => telemetryTargets[i % telemetryTargets.Length]).ToArray(),
            id => grains.GetGrain<IDeviceGrain>(id).ReportTelemetry(new TelemetryReport(latencies, 0, 48_000_000, 0.91, null)));
        Report("telemetry", telemetryCalls, telemetry);

        var model = grains.GetGrain<IModelGrain>("bench-model");
        var ladderClock = Stopwatch.StartNew();
        await model.AddVersion(new ModelVersionUpload("v1", BenchModel(), null));
        ModelVersionView? version;
        do
        {
            await Task.Delay(100);
            version = await model.GetVersion("v1");
        }
        while (version!.Status == ModelStatus.Analysing);
        Console.WriteLine($"ladder: {version.Status} {version.FailureReason} in {ladderClock.Elapsed.TotalSeconds:0.0} s ({version.Ladder?.Rungs.Count} recipes)");

        var rollout = grains.GetGrain<IRolloutGrain>("bench-rollout");
        await rollout.Create(new RolloutSpec("bench-model", "v1", TargetSelector.All, [WaveSpec.PercentOf(100)], 1.0, 0.5,
            FailureAction.Pause, null, null, new PlanPolicyInfo(MaxTransferSeconds: 60, MaxAccuracyDrop: 0.05)));
        var rolloutClock = Stopwatch.StartNew();
        // Start() returns after one dispatch slice; the rollout's timer assigns the rest of the wave.
        var view = await rollout.Start();
        while (view.Counts[DeviceRolloutStatus.Waiting] > 0)
        {
            await Task.Delay(100);
            view = await rollout.GetView();
        }
        rolloutClock.Stop();
        var counts = string.Join(", ", view.Counts.Where(c => c.Value > 0).Select(c => $"{c.Key}={c.Value}"));
        Console.WriteLine($"rollout: {view.Targets} targets planned and dispatched in {rolloutClock.Elapsed.TotalSeconds:0.00} s " +
            $"({view.Targets / rolloutClock.Elapsed.TotalSeconds:0} devices/s); {counts}; planned {view.PlannedBytes} bytes");
    }

    private async Task<TimeSpan> TimedAsync(IReadOnlyList<string> targets, Func<string, Task> call)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < targets.Count)
            {
                await call(targets[i]);
            }
        }));
        return clock.Elapsed;
    }

    private static void Report(string what, int calls, TimeSpan elapsed) =>
        Console.WriteLine($"{what}: {calls} calls in {elapsed.TotalSeconds:0.00} s = {calls / elapsed.TotalSeconds:0} calls/s");

    private static DeviceProfileInfo Profile(string id, int kind) => kind switch
    {
        0 => new(id, "pi-zero-2", "armv7", 4, ["neon"], 512L << 20, 64L << 20, 4L << 30, 2_000_000, null, "1.31.1", "1.0.0", new Dictionary<string, string> { ["site"] = "a" }),
        1 => new(id, "pi-4", "arm64", 4, ["neon", "dotprod"], 4L << 30, 512L << 20, 16L << 30, 20_000_000, null, "1.31.1", "1.0.0", new Dictionary<string, string> { ["site"] = "b" }),
        _ => new(id, "nuc", "x86_64", 8, ["avx2", "avx512vnni"], 16L << 30, 2L << 30, 64L << 30, 100_000_000, null, "1.31.1", "1.0.0", new Dictionary<string, string> { ["site"] = "c" }),
    };

    private static byte[] BenchModel() => OnnxModelFile.Serialize(ClassifierGraphs.Mlp([64, 128, 10], seed: 1, name: "bench-mlp"));
}
