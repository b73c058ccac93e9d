using FleetQuant.DeviceAgent.Inference;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.DeviceAgent.Tests;

public sealed class TelemetryWindowTests
{
    [Fact]
    public void Drain_SendsEveryLatency_WhenFewerThanTheLimit_AndStartsAfresh()
    {
        var window = new TelemetryWindow(new Random(1));
        window.RecordSuccess(3, 0.5);
        window.RecordSuccess(1, 1.0);
        window.RecordError();

        var message = window.Drain(DateTimeOffset.UnixEpoch, "abc", 100, 2_000);
        var next = window.Drain(DateTimeOffset.UnixEpoch, "abc", 100, null);

        Assert.Equal([3.0, 1.0], message.LatenciesMs);
        Assert.Equal(2, message.Inferences);
        Assert.Equal(1, message.Errors);
        Assert.Equal(0.75, message.MeanConfidence);
        Assert.Equal(2_000, message.DownloadBitsPerSecond);
        message.Validate();
        Assert.Empty(next.LatenciesMs);
        Assert.Equal(0, next.Inferences);
        Assert.Null(next.MeanConfidence);
    }

    [Fact]
    public void Drain_KeepsAUniformBoundedSample_WhenThereAreMoreInferences()
    {
        var window = new TelemetryWindow(new Random(7));
        const int count = 10_000;
        for (var i = 0; i < count; i++)
        {
            window.RecordSuccess(i, 0.9);
        }

        var message = window.Drain(DateTimeOffset.UnixEpoch, null, 0, null);

        message.Validate();
        Assert.Equal(TelemetryMessage.MaxLatencySamples, message.LatenciesMs.Count);
        Assert.Equal(count, message.Inferences);
        Assert.Equal(0.9, message.MeanConfidence!.Value, 9);
        // A uniform sample of 0..9999 has its median near 5000; keeping only the first (or last) results would not.
        var median = message.LatenciesMs.Order().ElementAt(message.LatenciesMs.Count / 2);
        Assert.InRange(median, 4000, 6000);
        Assert.Equal(message.LatenciesMs.Count, message.LatenciesMs.Distinct().Count());
    }
}
