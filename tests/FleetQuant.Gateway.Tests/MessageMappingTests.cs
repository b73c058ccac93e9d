using FleetQuant.Gateway.Bridge;
using FleetQuant.Grains.Manifests;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.Gateway.Tests;

public sealed class MessageMappingTests
{
    [Fact]
    public void DesiredState_CarriesTheKeyRotationChainToTheWire()
    {
        using var first = ManifestKeys.Generate();
        using var second = ManifestKeys.Generate();
        var rotation = new ManifestSigner(first).Rotate(second, 1, DateTimeOffset.UnixEpoch, TimeSpan.FromDays(1));
        var signed = new SignedDesiredState("dev-1", 3, "{}", "c2ln", ManifestKeys.KeyId(second))
        {
            Rotations = ProtocolJson.SerializeToString(new[] { rotation }),
        };

        var wire = MessageMapping.ToWire(signed);

        Assert.Equal([rotation], wire.Rotations!);
        Assert.Null(MessageMapping.ToWire(signed with { Rotations = null }).Rotations);
    }

    [Fact]
    public void Telemetry_PassesLatencySamplesThroughUnchanged()
    {
        var message = new TelemetryMessage
        {
            At = DateTimeOffset.UnixEpoch,
            Inferences = 500,
            Errors = 2,
            LatenciesMs = [4, 1, 9, 16],
            MeanConfidence = 0.6,
            MemoryBytes = 1234,
            DownloadBitsPerSecond = 99,
        };

        var report = MessageMapping.ToGrain(message);

        Assert.Equal([4.0, 1.0, 9.0, 16.0], report.LatenciesMs);
        Assert.Equal(500, report.Inferences);
        Assert.Equal(2, report.Errors);
        Assert.Equal(0.6, report.MeanTop1Confidence);
        Assert.Equal(1234, report.MemoryBytes);
        Assert.Equal(99, report.DownloadBitsPerSecond);
    }

    [Fact]
    public void Telemetry_OutsideTheProtocolLimits_IsAProtocolError()
    {
        var message = new TelemetryMessage
        {
            At = DateTimeOffset.UnixEpoch,
            Inferences = 1000,
            LatenciesMs = [.. Enumerable.Repeat(1.0, TelemetryMessage.MaxLatencySamples + 1)],
        };

        Assert.Throws<ProtocolException>(() => MessageMapping.ToGrain(message));
    }
}
