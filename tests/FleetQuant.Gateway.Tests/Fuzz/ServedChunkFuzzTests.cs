using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Topics;
using FleetQuant.Protocol.Transfer;
using FleetQuant.TestSupport.Server;

namespace FleetQuant.Gateway.Tests.Fuzz;

/// <summary>
/// Mutated chunk requests for a real artifact, so the range reader and the frame writer are reached. Its own host: the
/// rollout it needs builds a ladder and fills caches that must not count against the other fuzzers' memory bound.
/// </summary>
[Trait("Category", "Fuzz")]
[Collection(nameof(FuzzCollection))]
public sealed class ServedChunkFuzzTests(AttackReplayHost host) : IClassFixture<AttackReplayHost>
{
    [Fact]
    public async Task Route_MutatedChunkRequestsForTheDesiredArtifact_AreServedWithinTheObjectOrRefused()
    {
        // The serving path proper: the seed asks for a real range of the artifact a rollout made this device's desired one.
        const string deviceId = "fuzz-served";
        var device = await GatewayTestData.ProvisionAsync(host.Http, deviceId);
        var desired = await host.RollOutAsync("fuzz-ro-served", device);
        var seed = ProtocolJson.Serialize(new ChunkRequest { ObjectSha256 = desired.ArtifactHash, Offset = 1024, Length = 4096, RequestId = 7 });
        var downlink = new UplinkFuzzTests.CountingDownlink();

        var outcomes = await UplinkFuzzTests.RunAsync(host, "uplink chunk-request (served)", deviceId, DeviceTopics.ChunkRequest, seed, downlink);

        Assert.True(outcomes.GetValueOrDefault("routed") > 0, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault("refused") > 0, string.Join(", ", outcomes));
        Assert.True(downlink.MaxChunkEnd <= desired.ArtifactBytes, $"served up to byte {downlink.MaxChunkEnd} of a {desired.ArtifactBytes}-byte artifact");
        Assert.True(downlink.MaxChunkLength <= ChunkTable.MaxChunkSize, $"served {downlink.MaxChunkLength} bytes in one frame");
    }
}
