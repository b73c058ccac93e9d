using FleetQuant.Api.Contracts;
using FleetQuant.DeviceAgent.Simulation;
using FleetQuant.EndToEnd.Tests.Support;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace FleetQuant.EndToEnd.Tests;

/// <summary>
/// A hundred simulated agents of the four sample classes, each with its own MQTT connection and throttle, against the
/// real all-in-one host: v1 rolls out in waves as full artifacts, v2 as deltas, and every device ends on its plan.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class FleetRolloutTests(FleetHost host, ITestOutputHelper output)
{
    private const int Devices = 100;

    [Fact]
    public async Task HundredAgents_ConvergeOnTheirPlannedRecipes_ThenTakeV2AsDeltas()
    {
        var (v1, v2) = await host.ModelVersionsAsync();
        var options = new SimulatorOptions
        {
            Devices = Devices,
            ProfilesPath = Path.Combine(FleetQuant.Compression.Data.SampleData.SamplesDirectory(), "profiles", "fleet-mix.json"),
            Server = host.Http.BaseAddress!,
            Token = AllInOneHost.Token,
            IdPrefix = "e2e",
            InferenceInterval = TimeSpan.FromSeconds(5),
            TelemetryInterval = TimeSpan.FromSeconds(30),
        };
        await using var fleet = new FleetSimulator(options, FleetQuant.Compression.Data.GeneratedInputs.Create([784], 8, seed: 3), NullLoggerFactory.Instance);
        await fleet.StartAsync(null, CancellationToken.None);
        Assert.Equal(Devices, fleet.Devices.Count);
        Assert.Equal([40, 30, 20, 10], fleet.Devices.GroupBy(d => d.Spec.HardwareClass).Select(g => g.Count()));
        foreach (var device in fleet.Devices)
        {
            await host.HelloSeenAsync(device.Spec.DeviceId, device.Spec.Profile.Arch!);
        }
        var ids = fleet.Devices.Select(d => d.Spec.DeviceId).ToList();

        await host.StartRolloutAsync("e2e-fleet-v1", v1, ids, 10, 40, 50);
        var first = await host.RolloutCompletedAsync("e2e-fleet-v1");
        Assert.Equal(RolloutState.Completed, first.State);
        Assert.Equal(3, first.WaveCount);
        var afterV1 = await ConvergedAsync(fleet, v1, TransferMode.Full);

        var recipeByClass = afterV1
            .GroupBy(d => d.Device.Spec.HardwareClass)
            .ToDictionary(g => g.Key, g => g.Select(d => d.View.Desired!.RecipeId).Distinct().ToList());
        output.WriteLine(string.Join(", ", recipeByClass.Select(p => $"{p.Key} → {string.Join("/", p.Value)}")));
        Assert.All(recipeByClass, c => Assert.Single(c.Value));
        Assert.True(recipeByClass.Values.Select(r => r.Single()).Distinct().Count() >= 2,
            "every class got the same recipe: " + string.Join(", ", recipeByClass.Select(p => $"{p.Key}={p.Value.Single()}")));

        var downloadedAfterV1 = fleet.Devices.ToDictionary(d => d.Spec.DeviceId, d => d.BytesDownloaded);
        await host.StartRolloutAsync("e2e-fleet-v2", v2, ids, 50, 50);
        Assert.Equal(RolloutState.Completed, (await host.RolloutCompletedAsync("e2e-fleet-v2")).State);
        var afterV2 = await ConvergedAsync(fleet, v2, TransferMode.Delta);
        foreach (var (device, view) in afterV2)
        {
            // Same recipe as for v1 (the class did not change), and the delta is what moved, not the artifact.
            Assert.Equal(recipeByClass[device.Spec.HardwareClass].Single(), view.Desired!.RecipeId);
            Assert.Equal(view.Desired.Delta!.DeltaBytes, device.BytesDownloaded - downloadedAfterV1[device.Spec.DeviceId]);
            Assert.True(view.Desired.Delta.DeltaBytes < view.Desired.ArtifactBytes);
        }

        var summary = fleet.Summarize();
        output.WriteLine(summary.ToText());
        Assert.Equal(0, summary.UpdatesFailed);
        Assert.Equal(0, summary.ManifestsRejected);
        Assert.Equal(2 * Devices, summary.UpdatesSucceeded);
    }

    /// <summary>
    /// Waits until every device runs <paramref name="version"/>, then checks each against its own plan: the installed
    /// artifact is the planned recipe's, it travelled as planned, and the bytes it downloaded for this update are the plan's.
    /// </summary>
    private async Task<List<(SimulatedDevice Device, DeviceView View)>> ConvergedAsync(FleetSimulator fleet, string version, TransferMode transfer)
    {
        var results = new List<(SimulatedDevice, DeviceView)>();
        foreach (var device in fleet.Devices)
        {
            var view = await Eventually.Until(() => host.DeviceAsync(device.Spec.DeviceId),
                v => v.Desired?.Version == version && v.State == DeviceState.UpToDate && device.Runtime.CurrentArtifact == v.Desired.ArtifactHash,
                $"{device.Spec.DeviceId} on {version}", FleetHost.Patience);
            var plan = view.LastPlan!;
            Assert.False(plan.Unfit, plan.Reason);
            Assert.Equal(plan.RecipeId, view.Desired!.RecipeId);
            Assert.Equal(transfer, plan.Transfer);
            Assert.Equal(view.Desired.ArtifactHash, device.Runtime.State.Current!.ArtifactSha256);
            Assert.Equal(plan.RecipeId, device.Runtime.State.Current.RecipeId);
            Assert.InRange(view.Desired.TransferBytes, 1, plan.Bytes);
            if (transfer == TransferMode.Full)
            {
                // The ladder estimates the artifact container within 1 %, never below it: a full transfer costs at most the plan.
                Assert.InRange(view.Desired.ArtifactBytes, (long)(plan.Bytes * 0.99), plan.Bytes);
                Assert.Equal(view.Desired.ArtifactBytes, device.BytesDownloaded);
            }
            results.Add((device, view));
        }
        return results;
    }
}
