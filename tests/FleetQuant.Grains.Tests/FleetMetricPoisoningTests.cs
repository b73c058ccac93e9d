using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Observability;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Tests.Support;

namespace FleetQuant.Grains.Tests;

/// <summary>A device cannot poison the fleet-wide inference metrics with absurd values.</summary>
public sealed class FleetMetricPoisoningTests(FleetClusterFixture fleet) : IClassFixture<FleetClusterFixture>
{
    private const string Model = "poison-model";

    [Fact]
    public async Task Telemetry_HugeLatenciesAfterASucceededUpdate_KeepTheLatencySumFinite()
    {
        await fleet.ReadyModelAsync(Model);
        var device = await fleet.ProvisionAsync("poison-1");
        var desired = (await device.Assign(new ModelAssignment(Model, "v1", new PlanPolicyInfo(MaxTransferSeconds: 60, MaxAccuracyDrop: 1.0), null, null))).Desired!;
        await fleet.DeliverAsync("poison-1", desired);
        await device.ReportUpdate(new UpdateProgress(desired.Release, UpdateStatus.Succeeded, desired.TransferBytes, null));
        using var latency = new MetricCapture("fleetquant.inference.latency");

        await device.ReportTelemetry(new TelemetryReport([1.7e308, 1.7e308, 5], 0, 1000, 0.9, null));
        await device.ReportTelemetry(new TelemetryReport([1.7e308, double.PositiveInfinity], 0, 1000, 0.9, null));

        var recorded = latency.Where("model", Model);
        Assert.Equal([0.005], recorded);
        Assert.True(double.IsFinite(recorded.Sum()));
    }

    [Fact]
    public void RecordTelemetry_NonFiniteLatencies_NeverReachTheHistogram()
    {
        using var latency = new MetricCapture("fleetquant.inference.latency");

        FleetQuantMetrics.RecordTelemetry("poison-direct", "v1", "q8cs", [1.7e308, double.NaN, double.PositiveInfinity, -1, 2], 0.5);

        Assert.Equal([0.002], latency.Where("model", "poison-direct"));
    }
}
