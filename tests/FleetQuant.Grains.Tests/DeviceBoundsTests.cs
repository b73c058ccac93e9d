using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Tests.Support;

namespace FleetQuant.Grains.Tests;

/// <summary>Every number a device sends is checked against its documented bounds; what is outside is dropped and counted.</summary>
public sealed class DeviceBoundsTests(FleetClusterFixture fleet) : IClassFixture<FleetClusterFixture>
{
    private const long Overflow = long.MaxValue;

    [Fact]
    public async Task ReportTelemetry_OverflowingMemoryAndBandwidth_AreDropped_AndTheViewStillAnswers()
    {
        using var rejections = new MetricCapture("fleetquant.rejected");
        var device = await fleet.ProvisionAsync("bounds-overflow");

        for (var i = 0; i < 5; i++)
        {
            await device.ReportTelemetry(new TelemetryReport([12], 0, Overflow, 0.9, Overflow));
        }
        var view = await device.GetView();

        Assert.Equal(5, view.Telemetry.Reports);
        Assert.Equal(12, view.Telemetry.LatencyP50Ms);
        Assert.Null(view.Telemetry.DownloadBitsPerSecond);
        Assert.Equal(0, view.Telemetry.PeakMemoryBytes);
        Assert.Equal(0.9, view.Telemetry.MeanTop1Confidence!.Value, 6);
        Assert.True(rejections.Where("reason", "out-of-range").Sum() >= 10);
    }

    [Fact]
    public async Task ReportTelemetry_NonFiniteAndNegativeValues_AreDropped_TheRestKept()
    {
        var device = await fleet.ProvisionAsync("bounds-nan");

        await device.ReportTelemetry(new TelemetryReport(
            [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -1, 0, 1.7e308, 3_600_001, 12], -3, -1, double.NaN, -5, -1));
        await device.ReportTelemetry(new TelemetryReport([20], 0, 2000, double.PositiveInfinity, 1_000_000));
        var t = await device.GetTelemetry();

        Assert.Equal(2, t.Reports);
        Assert.Equal(2, t.Inferences);
        Assert.Equal(0, t.Errors);
        Assert.Equal(12, t.LatencyP50Ms);
        Assert.Equal(20, t.LatencyP95Ms);
        Assert.Equal(2000, t.PeakMemoryBytes);
        Assert.Null(t.MeanTop1Confidence);
        Assert.Equal(1_000_000, t.DownloadBitsPerSecond);
    }

    [Fact]
    public async Task Hello_OutOfRangeProfileValues_KeepTheStoredOnes_AndTheRestIsTaken()
    {
        var device = await fleet.ProvisionAsync("bounds-hello", bandwidthBitsPerSecond: 50_000_000);
        var reported = FleetClusterFixture.Profile("bounds-hello", bandwidthBitsPerSecond: Overflow) with
        {
            CpuCores = -4,
            RamBytes = Overflow,
            StorageBytes = -1,
            ModelMemoryBudgetBytes = 256L << 20,
            Arch = new string('x', 10_000),
        };

        await device.Hello(new DeviceHello(reported, "not-a-hash"));
        var profile = (await device.GetView()).Profile!;

        Assert.Equal(4, profile.CpuCores);
        Assert.Equal(4L << 30, profile.RamBytes);
        Assert.Equal(16L << 30, profile.StorageBytes);
        Assert.Equal(50_000_000, profile.BandwidthBitsPerSecond);
        Assert.Equal("arm64", profile.Arch);
        Assert.Equal(256L << 20, profile.ModelMemoryBudgetBytes);
        Assert.Null((await device.GetView()).CurrentArtifactHash);
    }

    [Fact]
    public void Aggregate_AWindowSavedBeforeTheBounds_NeitherThrowsNorReturnsNonFinite()
    {
        var at = DateTimeOffset.UnixEpoch;
        TelemetryWindowEntry[] window =
        [
            new(at, [1.7e308, double.NaN, 10], int.MaxValue, Overflow, double.NaN, Overflow, int.MaxValue),
            new(at, [20], int.MaxValue, Overflow, 0.5, Overflow, int.MaxValue),
            new(at, [30], -1, -1, 2.0, -1, -7),
        ];

        var t = TelemetryWindow.Aggregate(window);

        Assert.Equal(20, t.LatencyP50Ms);
        Assert.Equal(30, t.LatencyP95Ms);
        Assert.Equal(0.5, t.MeanTop1Confidence);
        Assert.Null(t.DownloadBitsPerSecond);
        Assert.Null(t.PeakMemoryBytes);
        Assert.Equal(2L * int.MaxValue, t.Inferences);
    }
}
