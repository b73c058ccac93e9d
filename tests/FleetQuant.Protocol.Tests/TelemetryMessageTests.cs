using FleetQuant.Protocol.Messages;

namespace FleetQuant.Protocol.Tests;

public sealed class TelemetryMessageTests
{
    private static readonly TelemetryMessage Valid = new()
    {
        At = DateTimeOffset.UnixEpoch,
        Inferences = 3,
        Errors = 1,
        LatenciesMs = [1.5, 2.5, 9],
        MeanConfidence = 0.75,
        MemoryBytes = 1000,
    };

    [Fact]
    public void Json_RoundTripsTheLatencySamples()
    {
        var back = ProtocolJson.Deserialize<TelemetryMessage>(ProtocolJson.Serialize(Valid));

        Assert.Equal([1.5, 2.5, 9], back.LatenciesMs);
        Assert.Equal(0.75, back.MeanConfidence);
        back.Validate();
    }

    [Fact]
    public void Validate_AcceptsAnEmptyInterval()
    {
        var idle = ProtocolJson.Deserialize<TelemetryMessage>("""{"at":"2026-01-01T00:00:00Z","memoryBytes":10}"""u8);

        idle.Validate();
        Assert.Empty(idle.LatenciesMs);
        Assert.Null(idle.MeanConfidence);
    }

    [Fact]
    public void Validate_RefusesMessagesOfTheWrongShape()
    {
        TelemetryMessage[] bad =
        [
            Valid with { LatenciesMs = [.. Enumerable.Repeat(1.0, TelemetryMessage.MaxLatencySamples + 1)], Inferences = 1000 },
            ProtocolJson.Deserialize<TelemetryMessage>("""{"at":"2026-01-01T00:00:00Z","latenciesMs":null}"""u8),
        ];

        foreach (var message in bad)
        {
            Assert.Throws<ProtocolException>(message.Validate);
        }
    }

    [Fact]
    public void Validate_PassesValuesOutOfBounds_ForTheDeviceGrainToDropOneByOne()
    {
        TelemetryMessage[] outOfBounds =
        [
            Valid with { Inferences = 2 },
            Valid with { Errors = -1 },
            Valid with { LatenciesMs = [1, double.NaN, 3] },
            Valid with { LatenciesMs = [1, -2, 3] },
            Valid with { MeanConfidence = 1.5 },
            Valid with { MemoryBytes = -1 },
            Valid with { DownloadBitsPerSecond = -1 },
        ];

        foreach (var message in outOfBounds)
        {
            message.Validate();
        }
    }

    [Fact]
    public void Validate_AcceptsAFullSampleOfManyInferences()
    {
        var sampled = Valid with { LatenciesMs = [.. Enumerable.Repeat(4.0, TelemetryMessage.MaxLatencySamples)], Inferences = 10_000 };

        sampled.Validate();
    }
}
