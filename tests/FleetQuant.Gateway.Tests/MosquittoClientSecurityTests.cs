using System.Net;
using System.Net.Http.Json;
using System.Text;
using FleetQuant.Api.Contracts;
using FleetQuant.Gateway.Api;
using FleetQuant.Gateway.Tests.Support;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Topics;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;

namespace FleetQuant.Gateway.Tests;

/// <summary>
/// The embedded broker's authentication and per-device ACL as seen by Debian's <c>mosquitto_sub</c>/<c>mosquitto_pub</c>
/// (a client that shares no code with MQTTnet), over MQTT 5 and 3.1.1.
/// </summary>
[Trait("Category", "Mosquitto")]
public sealed class MosquittoClientSecurityTests(AllInOneHost host) : IClassFixture<AllInOneHost>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private static readonly string[] Versions = ["mqttv5", "mqttv311"];

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    [Fact]
    public async Task DeviceCredentials_PublishOwnHello_AndReadOwnRetainedSignedManifest_ButNotAnotherDevices()
    {
        var own = await GatewayTestData.ProvisionAsync(host.Http, "cli-own-1");
        var other = await GatewayTestData.ProvisionAsync(host.Http, "cli-other-1");
        foreach (var device in new[] { own, other })
        {
            var hello = await MosquittoClients.RunAsync(MosquittoClients.Pub,
            [
                .. Connect(device, "mqttv5"), "-q", "1", "-t", DeviceTopics.Up(device.DeviceId, DeviceTopics.Hello),
                "-m", ProtocolJson.SerializeToString(GatewayTestData.Hello(device.DeviceId)),
            ]);
            Assert.True(hello.ExitCode == 0, $"publishing its own hello: {hello}");
            await Eventually.Until(() => host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{device.DeviceId}", Json)!,
                v => v!.Profile?.Arch == "arm64", $"hello of {device.DeviceId} routed");
        }
        await RollOutAsync("cli-model", "cli-rollout-1", own.DeviceId, other.DeviceId);

        using var serverKey = ManifestKeys.ImportPem(own.ServerPublicKeyPem);
        var verifier = new ManifestVerifier(serverKey, TimeProvider.System);
        foreach (var version in Versions)
        {
            var read = await MosquittoClients.RunAsync(MosquittoClients.Sub,
                [.. Connect(own, version), "-q", "1", "-t", DeviceTopics.Down(own.DeviceId, DeviceTopics.Desired), "-C", "1", "-W", "20"]);
            Assert.True(read.ExitCode == 0, $"{version} reading its own retained manifest: {read}");
            var verification = verifier.Verify(Encoding.UTF8.GetBytes(read.StandardOutput.Trim()), own.DeviceId, lastAcceptedRelease: 0);
            Assert.True(verification.Accepted, $"{version}: {verification.Message}");

            var foreign = await MosquittoClients.RunAsync(MosquittoClients.Sub,
                [.. Connect(own, version), "-q", "1", "-t", DeviceTopics.Down(other.DeviceId, DeviceTopics.Desired), "-C", "1", "-W", "5"]);
            Assert.Equal("", foreign.StandardOutput.Trim());
            Assert.Contains("denied", foreign.StandardError, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("mqttv5")]
    [InlineData("mqttv311")]
    public async Task DeviceCredentials_PublishingOnAnotherDevicesTopic_IsRefusedByTheBroker(string version)
    {
        var own = await GatewayTestData.ProvisionAsync(host.Http, $"cli-pub-own-{version}");
        var victim = await GatewayTestData.ProvisionAsync(host.Http, $"cli-pub-victim-{version}");
        var refusedBefore = host.Counters.RefusedPublishes;

        var forged = await MosquittoClients.RunAsync(MosquittoClients.Pub,
        [
            .. Connect(own, version), "-q", "1", "-t", DeviceTopics.Up(victim.DeviceId, DeviceTopics.Hello),
            "-m", ProtocolJson.SerializeToString(GatewayTestData.Hello(victim.DeviceId)),
        ]);
        var downlink = await MosquittoClients.RunAsync(MosquittoClients.Pub,
            [.. Connect(own, version), "-q", "1", "-r", "-t", DeviceTopics.Down(own.DeviceId, DeviceTopics.Desired), "-m", "{}"]);

        // MQTT 5 reports the refusal to the client; 3.1.1 has no negative acknowledgement, so the broker's count is the proof.
        if (version == "mqttv5")
        {
            Assert.Contains("not authori", forged.StandardError, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("not authori", downlink.StandardError, StringComparison.OrdinalIgnoreCase);
        }
        await Eventually.Until(() => Task.FromResult(host.Counters.RefusedPublishes), n => n >= refusedBefore + 2, "both publishes refused");
        var view = await host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{victim.DeviceId}", Json);
        Assert.Null(view!.LastSeen);
    }

    [Theory]
    [InlineData("mqttv5")]
    [InlineData("mqttv311")]
    public async Task BadCredentials_AreRefused_WithExitCodeAndMessage(string version)
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, $"cli-bad-{version}");
        var topic = DeviceTopics.Down(device.DeviceId, DeviceTopics.Desired);

        var wrongSecret = await MosquittoClients.RunAsync(MosquittoClients.Sub,
            [.. MosquittoClients.Connection(host.MqttHost, host.MqttPort, version, device.DeviceId, device.DeviceId, device.Secret + "x"), "-t", topic, "-W", "10"]);
        var unknown = await MosquittoClients.RunAsync(MosquittoClients.Sub,
            [.. MosquittoClients.Connection(host.MqttHost, host.MqttPort, version, "cli-ghost", "cli-ghost", device.Secret), "-t", topic, "-W", "10"]);
        var borrowedClientId = await MosquittoClients.RunAsync(MosquittoClients.Sub,
            [.. MosquittoClients.Connection(host.MqttHost, host.MqttPort, version, "someone-else", device.DeviceId, device.Secret), "-t", topic, "-W", "10"]);
        var noPassword = await MosquittoClients.RunAsync(MosquittoClients.Sub,
            ["-h", host.MqttHost, "-p", host.MqttPort.ToString(), "-V", version, "-i", device.DeviceId, "-t", topic, "-W", "10"]);

        foreach (var run in new[] { wrongSecret, unknown })
        {
            Assert.True(run.ExitCode != 0, run.ToString());
            Assert.Contains("bad user name or password", run.StandardError, StringComparison.OrdinalIgnoreCase);
        }
        foreach (var run in new[] { borrowedClientId, noPassword })
        {
            Assert.True(run.ExitCode != 0, run.ToString());
            Assert.Contains("not authori", run.StandardError, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task DeviceView_ShowsOnline_ThenOfflineFromTheLastWill_WhenTheClientDies()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "cli-will-1");
        var status = DeviceTopics.Up(device.DeviceId, DeviceTopics.Status);
        var online = await MosquittoClients.RunAsync(MosquittoClients.Pub,
            [.. Connect(device, "mqttv5"), "-q", "1", "-r", "-t", status, "-m", ProtocolJson.SerializeToString(new StatusMessage { Online = true })]);
        Assert.True(online.ExitCode == 0, online.ToString());
        await Eventually.Until(() => host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{device.DeviceId}", Json)!,
            v => v!.Connection?.Online == true, "device shown online");

        // A subscriber that leaves an offline will, killed without a DISCONNECT: the broker must publish the will.
        using var client = MosquittoClients.StartLineBuffered(MosquittoClients.Sub,
        [
            .. Connect(device, "mqttv5"), "-d", "-q", "1", "-t", DeviceTopics.Down(device.DeviceId, DeviceTopics.Command),
            "--will-topic", status, "--will-payload", ProtocolJson.SerializeToString(new StatusMessage { Online = false }),
            "--will-qos", "1", "--will-retain",
        ]);
        try
        {
            await MosquittoClients.WaitForLineAsync(client.StandardOutput, "SUBACK");
        }
        finally
        {
            client.Kill();
            await client.WaitForExitAsync();
        }
        var view = await Eventually.Until(() => host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{device.DeviceId}", Json)!,
            v => v!.Connection?.Online == false, "last will marks the device offline");
        Assert.True(view!.Connection!.Since >= view.LastSeen, "offline must be dated after the device was last seen");
    }

    private List<string> Connect(ProvisionDeviceResponse device, string version) =>
        MosquittoClients.Connection(host.MqttHost, host.MqttPort, version, device.DeviceId, device.DeviceId, device.Secret);

    private async Task RollOutAsync(string modelId, string rolloutId, params string[] deviceIds)
    {
        const string file = "fashion-mlp-v1.onnx";
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(await File.ReadAllBytesAsync(GatewayTestData.ModelPath(file))), "model", file },
        };
        var upload = await host.Http.PostAsync($"/api/models/{modelId}/versions", form);
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        var version = (await upload.Content.ReadFromJsonAsync<ModelVersionView>(Json))!.Version;
        await Eventually.Until(() => host.Http.GetFromJsonAsync<ModelView>($"/api/models/{modelId}", Json)!,
            m => m!.Versions.Single(v => v.Version == version).Status == ModelStatus.Ready, $"ladder of {file}", Patience);
        var rollout = await host.Http.PostAsJsonAsync("/api/rollouts", new
        {
            rolloutId, modelId, version, deviceIds, waves = new[] { new { count = deviceIds.Length } },
        });
        Assert.Equal(HttpStatusCode.OK, rollout.StatusCode);
        foreach (var deviceId in deviceIds)
        {
            await Eventually.Until(() => host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{deviceId}", Json)!,
                v => v!.Desired is not null, $"desired state of {deviceId}", Patience);
        }
    }
}
