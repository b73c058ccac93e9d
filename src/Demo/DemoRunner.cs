using System.Diagnostics;
using FleetQuant.Api.Contracts;
using FleetQuant.Cli.Operator;
using FleetQuant.Compression.Data;
using FleetQuant.DeviceAgent.Simulation;
using Microsoft.Extensions.Logging;

namespace FleetQuant.Demo;

/// <summary>
/// The one-command demo: against an <see cref="AllInOneServer"/>, a simulated fleet (<see cref="FleetSimulator"/>)
/// comes online, sample v1 is pushed and rolled out in waves, then v2 (which devices receive as deltas), and the
/// bytes the devices actually downloaded are set against a full FP32 download per update.
/// </summary>
public sealed class DemoRunner(AllInOneServer server, DemoOptions options, IProgress<DemoStep> progress, ILoggerFactory logging)
{
    public const string DemoModelId = "fashion";

    private const int TelemetrySamples = 32;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan StragglerPatience = TimeSpan.FromSeconds(60);

    /// <summary>Runs the demo; the simulated fleet is returned still running so <c>--keep-running</c> can keep it.</summary>
    public async Task<(DemoReport Report, FleetSimulator Fleet)> RunAsync(CancellationToken cancellationToken)
    {
        if (options.Devices is < 1 or > DemoOptions.MaxDevices)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"--devices must be 1..{DemoOptions.MaxDevices}, got {options.Devices}");
        }
        var clock = Stopwatch.StartNew();
        using var client = new OperatorClient(new OperatorSettings(server.Url, server.Token));
        var samples = SampleData.SamplesDirectory();
        var fleet = new FleetSimulator(new SimulatorOptions
        {
            Devices = options.Devices,
            ProfilesPath = options.ProfilesPath ?? Path.Combine(samples, "profiles", "fleet-mix.json"),
            Server = server.Url,
            Token = server.Token,
            IdPrefix = "demo",
            InferenceInterval = TimeSpan.FromSeconds(10),
            TelemetryInterval = TimeSpan.FromSeconds(30),
        }, EvalSetFile.Load(SampleData.FindCommittedEvalSet(), [784]).Take(TelemetrySamples), logging);
        try
        {
            progress.Report(new DemoStep("fleet", "devices online", 0, options.Devices));
            await fleet.StartAsync((done, total) => progress.Report(new DemoStep("fleet", "devices online", done, total)), cancellationToken);

            var rollouts = new List<DemoRollout>();
            ModelVersionView? last = null;
            foreach (var (file, version) in new[] { (SampleData.FashionMlpV1, "1"), (SampleData.FashionMlpV2, "2") })
            {
                last = await PushAsync(client, file, version, cancellationToken);
                rollouts.Add(await RollOutAsync(client, fleet, last, cancellationToken));
            }
            return (Report(fleet, rollouts, last!, clock.Elapsed), fleet);
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    private async Task<ModelVersionView> PushAsync(OperatorClient client, string file, string version, CancellationToken cancellationToken)
    {
        var key = "ladder-v" + version;
        progress.Report(new DemoStep(key, $"v{version}: upload, measure ladder", 0, 1));
        var onnx = await File.ReadAllBytesAsync(SampleData.ModelPath(file), cancellationToken);
        var evalFiles = DataUpload.Files(SampleData.FindCommittedEvalSet());
        await client.PostFormAsync($"/api/models/{DemoModelId}/versions", () =>
        {
            var form = new MultipartFormDataContent
            {
                { new ByteArrayContent(onnx), "model", file },
                { new StringContent(version), "version" },
            };
            foreach (var (name, bytes) in evalFiles)
            {
                form.Add(new ByteArrayContent(bytes), "evalData", name);
            }
            return form;
        }, TimeSpan.FromMinutes(5), cancellationToken);
        var ready = await ModelWaiter.WaitReadyAsync(client, DemoModelId, version, TimeSpan.FromMinutes(15), cancellationToken, quiet: true);
        progress.Report(new DemoStep(key, $"v{version}: ladder of {ready.Ladder?.Rungs.Count ?? 0} recipes", 1, 1));
        return ready;
    }

    private async Task<DemoRollout> RollOutAsync(OperatorClient client, FleetSimulator fleet, ModelVersionView version, CancellationToken cancellationToken)
    {
        var key = "rollout-v" + version.Version;
        var before = fleet.Devices.ToDictionary(d => d.Spec.DeviceId, d => d.BytesDownloaded, StringComparer.Ordinal);
        var started = Stopwatch.StartNew();
        var created = ApiJson.Read<RolloutView>(await client.PostJsonAsync("/api/rollouts", new CreateRolloutRequest
        {
            RolloutId = $"demo-v{version.Version}",
            ModelId = DemoModelId,
            Version = version.Version,
            Waves = [.. options.Waves],
            Policy = options.Policy,
        }, cancellationToken));
        var path = $"/api/rollouts/{created.RolloutId}";
        var view = created;
        var deadline = DateTimeOffset.UtcNow + options.RolloutTimeout;
        DateTimeOffset? finishedAt = null;
        while (true)
        {
            progress.Report(new DemoStep(key, Describe(view), RolloutWatcher.Done(view), Math.Max(1, view.Targets)));
            if (RolloutWatcher.IsFinished(view.State))
            {
                // The rollout completes once each wave met its success threshold; stragglers still finish their
                // downloads, so the devices themselves say when every one runs the version.
                finishedAt ??= DateTimeOffset.UtcNow;
                if (Running(fleet, version.Version) == fleet.Devices.Count || DateTimeOffset.UtcNow - finishedAt > StragglerPatience)
                {
                    break;
                }
            }
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new OperatorApiException($"rollout {view.RolloutId} did not finish within {options.RolloutTimeout.TotalMinutes:0} min ({Describe(view)})");
            }
            await Task.Delay(Poll, cancellationToken);
            view = ApiJson.Read<RolloutView>(await client.GetAsync(path, cancellationToken));
        }
        var seconds = started.Elapsed.TotalSeconds;
        var (full, delta) = await CountTransfersAsync(client, fleet, view.RolloutId, cancellationToken);
        var sent = fleet.Devices.Sum(d => d.BytesDownloaded - before[d.Spec.DeviceId]);
        view = ApiJson.Read<RolloutView>(await client.GetAsync(path, cancellationToken));
        var succeeded = view.Counts.GetValueOrDefault(DeviceRolloutStatus.Succeeded);
        // The baseline is a full FP32 download for every device that now runs the version.
        var baseline = Running(fleet, version.Version) * version.Source.Bytes;
        return new DemoRollout(view.RolloutId, DemoModelId, version.Version, view.State.ToString(), view.Targets, succeeded,
            view.Counts.GetValueOrDefault(DeviceRolloutStatus.Failed), view.Counts.GetValueOrDefault(DeviceRolloutStatus.Unfit),
            full, delta, sent, baseline, DemoReport.Ratio(baseline, sent), Math.Round(seconds, 1));
    }

    /// <summary>How the rollout's devices were sent the model: the full artifact or a delta (from each device's desired state).</summary>
    private static async Task<(int Full, int Delta)> CountTransfersAsync(OperatorClient client, FleetSimulator fleet, string rolloutId, CancellationToken cancellationToken)
    {
        var full = 0;
        var delta = 0;
        await Parallel.ForEachAsync(fleet.Devices, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (device, ct) =>
        {
            var view = ApiJson.Read<DeviceView>(await client.GetAsync($"/api/devices/{device.Spec.DeviceId}", ct));
            if (view.Desired is { } desired && desired.RolloutId == rolloutId)
            {
                if (desired.Delta is null)
                {
                    Interlocked.Increment(ref full);
                }
                else
                {
                    Interlocked.Increment(ref delta);
                }
            }
        });
        return (full, delta);
    }

    private static DemoReport Report(FleetSimulator fleet, IReadOnlyList<DemoRollout> rollouts, ModelVersionView last, TimeSpan elapsed)
    {
        var installed = fleet.Devices.Select(d => (d.Spec.HardwareClass, Model: d.Runtime.State.Current)).ToList();
        var groups = installed
            .GroupBy(d => (d.HardwareClass, Recipe: d.Model is { } m ? m.RecipeId : "none"))
            .OrderBy(g => g.Key.HardwareClass, StringComparer.Ordinal).ThenBy(g => g.Key.Recipe, StringComparer.Ordinal)
            .Select(g => new DemoFleetGroup(g.Key.HardwareClass, g.Key.Recipe, g.Count()))
            .ToList();
        var lastVersion = int.Parse(last.Version, System.Globalization.CultureInfo.InvariantCulture);
        var ladder = last.Ladder!;
        var recipes = installed.Where(d => d.Model is not null).GroupBy(d => d.Model!.RecipeId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => ladder.Rungs.FirstOrDefault(r => r.Id == g.Key) is { } rung
                ? new DemoRecipe(g.Key, g.Count(), rung.WireBytes, rung.Accuracy, rung.AccuracyDrop, ladder.Metric)
                : new DemoRecipe(g.Key, g.Count(), 0, double.NaN, double.NaN, ladder.Metric))
            .ToList();
        var sent = rollouts.Sum(r => r.BytesSent);
        var baseline = rollouts.Sum(r => r.BytesBaseline);
        return new DemoReport
        {
            Devices = fleet.Devices.Count,
            Updated = installed.Count(d => d.Model?.ModelVersion == lastVersion),
            Failed = rollouts.Sum(r => r.Failed),
            BytesSent = sent,
            BytesBaseline = baseline,
            SavedRatio = DemoReport.Ratio(baseline, sent),
            Rollouts = rollouts,
            Fleet = groups,
            Recipes = recipes,
            WallSeconds = Math.Round(elapsed.TotalSeconds, 1),
        };
    }

    private static int Running(FleetSimulator fleet, string version) =>
        fleet.Devices.Count(d => d.Runtime.State.Current?.ModelVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) == version);

    private static string Describe(RolloutView view) =>
        $"v{view.Spec?.Version} rollout wave {Math.Min(view.CurrentWave + 1, view.WaveCount)}/{view.WaveCount} {view.State.ToString().ToLowerInvariant()}: " +
        $"{view.Counts.GetValueOrDefault(DeviceRolloutStatus.Succeeded)} ok, {view.Counts.GetValueOrDefault(DeviceRolloutStatus.Dispatched)} in flight";
}
