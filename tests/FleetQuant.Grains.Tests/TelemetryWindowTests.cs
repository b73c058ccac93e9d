using FleetQuant.Grains.Devices;

namespace FleetQuant.Grains.Tests;

public sealed class TelemetryWindowTests
{
    [Fact]
    public void Aggregate_CountsInferencesAndWeighsConfidence_ByTheReportedCount_WhenLatenciesAreASample()
    {
        var at = DateTimeOffset.UnixEpoch;
        TelemetryWindowEntry[] window =
        [
            new(at, [10, 20], 0, 100, 0.9, null, Inferences: 1000),
            new(at, [30, 40], 1, 200, 0.5, null),
        ];

        var aggregates = TelemetryWindow.Aggregate(window);

        Assert.Equal(1002, aggregates.Inferences);
        Assert.Equal((0.9 * 1000 + 0.5 * 2) / 1002, aggregates.MeanTop1Confidence!.Value, 9);
        Assert.Equal(20, aggregates.LatencyP50Ms);
        Assert.Equal(40, aggregates.LatencyP95Ms);
    }
}
