using System.Net;
using System.Net.Http.Json;
using System.Text;
using FleetQuant.Api.Contracts;
using FleetQuant.Gateway.Tests.Support;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Topics;
using FleetQuant.Protocol.Transfer;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;

namespace FleetQuant.Gateway.Tests;

public sealed class DesiredStateFlowTests(AllInOneHost host) : IClassFixture<AllInOneHost>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task RolloutToConnectedDevice_PushesSignedManifest_AndChunkRequestsGetVerifiableFrames()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "flow-dev-1");
        await using var client = new TestMqttClient();
        await client.ConnectAsync(host.MqttHost, host.MqttPort, device.DeviceId, device.DeviceId, device.Secret);
        await client.SubscribeAsync(DeviceTopics.DownlinkPrefix(device.DeviceId) + "#");
        await client.PublishAsync(DeviceTopics.Up(device.DeviceId, DeviceTopics.Hello), GatewayTestData.Hello(device.DeviceId));
        await Eventually.Until(() => host.Http.GetStringAsync($"/api/devices/{device.DeviceId}"), body => body.Contains("arm64"), "hello recorded", Patience);

        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(await File.ReadAllBytesAsync(GatewayTestData.ModelPath("fashion-mlp-v1.onnx"))), "model", "fashion-mlp-v1.onnx" },
        };
        var upload = await host.Http.PostAsync("/api/models/flow-fashion/versions", form);
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        await Eventually.Until(() => host.Http.GetFromJsonAsync<ModelView>("/api/models/flow-fashion", Json)!,
            m => m!.Versions.Single().Status != ModelStatus.Analysing, "ladder built", Patience);
        var ladder = await host.Http.GetAsync("/api/models/flow-fashion/versions/1/ladder");
        Assert.Equal(HttpStatusCode.OK, ladder.StatusCode);

        var rollout = await host.Http.PostAsync("/api/rollouts", new StringContent(
            $$"""{"rolloutId":"flow-ro-1","modelId":"flow-fashion","version":"1","deviceIds":["{{device.DeviceId}}"],"waves":[{"count":1}]}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, rollout.StatusCode);

        // Pushed through the Gateway directory while the device is connected (no new hello needed).
        var desired = await client.NextAsync(DeviceTopics.Down(device.DeviceId, DeviceTopics.Desired), Patience);
        using var publicKey = ManifestKeys.ImportPem(device.ServerPublicKeyPem);
        var verification = new ManifestVerifier(publicKey, TimeProvider.System).Verify(desired, device.DeviceId, lastAcceptedRelease: 0);
        Assert.True(verification.Accepted, verification.Message);
        var manifest = verification.Manifest!;
        Assert.Equal("flow-fashion", manifest.ModelId);
        Assert.Equal(1, manifest.ModelVersion);
        Assert.Equal("arm64", manifest.TargetArch); // planned for the architecture the hello reported
        Assert.NotNull(manifest.SmokeTest);
        Assert.Equal([1, 784], Assert.Single(manifest.SmokeTest.Inputs).Shape);

        // A manifest altered in transit no longer verifies.
        var tampered = ProtocolJson.Deserialize<SignedManifest>(desired) with { Payload = ProtocolJson.SerializeToString(manifest with { Release = manifest.Release + 1 }) };
        Assert.False(new ManifestVerifier(publicKey, TimeProvider.System).Verify(ProtocolJson.Serialize(tampered), device.DeviceId, 0).Accepted);

        // Pull every chunk of the artifact and check each against the signed chunk table.
        var artifact = manifest.Artifact;
        var count = ChunkTable.ChunkCount(artifact.Size, artifact.ChunkSize);
        for (var i = 0; i < count; i++)
        {
            var offset = (long)i * artifact.ChunkSize;
            var length = (int)Math.Min(artifact.ChunkSize, artifact.Size - offset);
            await client.PublishAsync(DeviceTopics.Up(device.DeviceId, DeviceTopics.ChunkRequest),
                new ChunkRequest { ObjectSha256 = artifact.Sha256, Offset = offset, Length = length, RequestId = 100 + i });
            var frame = ChunkFrame.Parse(await client.NextAsync(DeviceTopics.Down(device.DeviceId, DeviceTopics.ChunkResponse), Patience));
            Assert.Equal(100 + i, frame.RequestId);
            Assert.Equal(offset, frame.Offset);
            Assert.True(ChunkTable.Verify(artifact, i, frame.Data.Span), $"chunk {i} does not match the signed table");
        }

        // An object that is not this device's desired artifact is refused, not served.
        var refusedBefore = host.Counters.ChunkRequestsRefused;
        await client.PublishAsync(DeviceTopics.Up(device.DeviceId, DeviceTopics.ChunkRequest),
            new ChunkRequest { ObjectSha256 = new string('a', 64), Offset = 0, Length = 1024, RequestId = 1 });
        await Eventually.Until(() => Task.FromResult(host.Counters.ChunkRequestsRefused), n => n > refusedBefore, "foreign object refused");

        // The outcome reaches the device grain (and through it the rollout).
        await client.PublishAsync(DeviceTopics.Up(device.DeviceId, DeviceTopics.Update),
            new UpdateReport { Release = manifest.Release, Stage = UpdateStage.Succeeded, ArtifactSha256 = artifact.Sha256 });
        await Eventually.Until(() => host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{device.DeviceId}", Json)!,
            v => v!.State == DeviceState.UpToDate, "device up to date", Patience);

        // A reconnecting device finds its desired state retained, without waiting for anything to be re-sent.
        await client.DisposeAsync();
        await using var again = new TestMqttClient();
        await again.ConnectAsync(host.MqttHost, host.MqttPort, device.DeviceId, device.DeviceId, device.Secret);
        await again.SubscribeAsync(DeviceTopics.DownlinkPrefix(device.DeviceId) + "#");
        var retained = ProtocolJson.Deserialize<SignedManifest>(await again.NextAsync(DeviceTopics.Down(device.DeviceId, DeviceTopics.Desired), Patience));
        Assert.Equal(manifest.Release, ProtocolJson.Deserialize<UpdateManifest>(Encoding.UTF8.GetBytes(retained.Payload)).Release);
    }

    [Fact]
    public async Task Hello_WithoutDesiredState_PublishesNoManifest()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "flow-dev-2");
        await using var client = new TestMqttClient();
        await client.ConnectAsync(host.MqttHost, host.MqttPort, device.DeviceId, device.DeviceId, device.Secret);
        await client.SubscribeAsync(DeviceTopics.DownlinkPrefix(device.DeviceId) + "#");
        var routedBefore = host.Counters.RoutedMessages;
        await client.PublishAsync(DeviceTopics.Up(device.DeviceId, DeviceTopics.Hello), GatewayTestData.Hello(device.DeviceId));
        await Eventually.Until(() => Task.FromResult(host.Counters.RoutedMessages), n => n > routedBefore, "hello routed");
        await Assert.ThrowsAsync<TimeoutException>(() => client.NextAsync(DeviceTopics.Down(device.DeviceId, DeviceTopics.Desired), TimeSpan.FromMilliseconds(500)));
    }

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}
