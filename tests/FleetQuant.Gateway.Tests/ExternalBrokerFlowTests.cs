using System.Net;
using System.Net.Http.Json;
using FleetQuant.Api.Contracts;
using FleetQuant.Compression.Data;
using FleetQuant.DeviceAgent;
using FleetQuant.DeviceAgent.Link;
using FleetQuant.DeviceAgent.Profiles;
using FleetQuant.Gateway.Mosquitto;
using FleetQuant.Gateway.Tests.Support;
using FleetQuant.Protocol.Messages;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace FleetQuant.Gateway.Tests;

/// <summary>
/// The whole desired-state → chunks flow through a real Mosquitto 2, run as Debian packages it (dropping to the
/// <c>mosquitto</c> user) and configured from the Gateway's generated password and ACL files (the bridge on a
/// <c>$share/fleetquant/…</c> subscription): a real agent installs v1, then v2 as a delta, and its telemetry samples
/// and online/offline status reach the device view.
/// </summary>
[Trait("Category", "Mosquitto")]
public sealed class ExternalBrokerFlowTests(PackagedMosquittoHost host) : IClassFixture<PackagedMosquittoHost>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    [Fact]
    public async Task Agent_ThroughMosquitto_InstallsV1_ThenV2AsADelta_AndReportsTelemetryAndStatus()
    {
        // Mosquitto reads its password file at start: provision before starting it.
        var device = await GatewayTestData.ProvisionAsync(host.Http, "ext-agent-1");
        await host.StartBrokerAsync((await host.Http.GetFromJsonAsync<MosquittoConfig>("/api/broker/mosquitto"))!);

        var agent = new DeviceRuntime(new AgentOptions
        {
            Link = new LinkOptions { Host = "127.0.0.1", Port = host.BrokerPort, DeviceId = device.DeviceId, Secret = device.Secret },
            ServerPublicKeyPem = device.ServerPublicKeyPem,
            StateDirectory = Path.Combine(host.DataDirectory, "agent-ext-agent-1"),
            Profile = new ProfileOverrides { HardwareClass = "pi4", ModelMemoryBudgetBytes = 256L << 20, BandwidthBitsPerSecond = 50_000_000 },
            InferenceInterval = TimeSpan.FromMilliseconds(50),
            TelemetryInterval = TimeSpan.FromMilliseconds(500),
        }, GeneratedInputs.Create([784], 4, seed: 1), NullLogger.Instance);
        try
        {
            await agent.StartAsync(CancellationToken.None);
            await Eventually.Until(ViewAsync, v => v.Connection?.Online == true, "device online through Mosquitto", Patience);

            var v1 = await UpgradeAsync("ext-fashion", "fashion-mlp-v1.onnx", "ext-ro-1", device.DeviceId);
            Assert.Null(v1.Desired!.Delta);
            Assert.Equal(v1.Desired.ArtifactHash, agent.CurrentArtifact);

            var downloadedBefore = agent.BytesDownloaded;
            var v2 = await UpgradeAsync("ext-fashion", "fashion-mlp-v2.onnx", "ext-ro-2", device.DeviceId);
            Assert.NotNull(v2.Desired!.Delta);
            Assert.Equal(v2.Desired.ArtifactHash, agent.CurrentArtifact);
            Assert.True(agent.BytesDownloaded - downloadedBefore < v2.Desired.ArtifactBytes,
                $"v2 moved {agent.BytesDownloaded - downloadedBefore} bytes, the full artifact is {v2.Desired.ArtifactBytes}");
            Assert.Contains(agent.Reports, r => r.Release == v2.Desired.Release && r.Stage == UpdateStage.Succeeded);

            // Telemetry arrives as latency samples: the window holds as many latencies as inferences, and real percentiles.
            var telemetry = (await Eventually.Until(ViewAsync, v => v.Telemetry.Inferences >= 5, "telemetry of v2", Patience)).Telemetry;
            Assert.True(telemetry.LatencyP50Ms > 0 && telemetry.LatencyP95Ms >= telemetry.LatencyP50Ms, $"p50 {telemetry.LatencyP50Ms}, p95 {telemetry.LatencyP95Ms}");
            Assert.InRange(telemetry.MeanTop1Confidence!.Value, 0.0, 1.0);
            Assert.True(telemetry.PeakMemoryBytes > 0);
        }
        finally
        {
            await agent.DisposeAsync();
        }
        await Eventually.Until(ViewAsync, v => v.Connection?.Online == false, "device offline after the agent stopped", Patience);
    }

    private async Task<DeviceView> ViewAsync() =>
        (await host.Http.GetFromJsonAsync<DeviceView>("/api/devices/ext-agent-1", Json))!;

    private async Task<DeviceView> UpgradeAsync(string modelId, string file, string rolloutId, string deviceId)
    {
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
            rolloutId, modelId, version, deviceIds = new[] { deviceId }, waves = new[] { new { count = 1 } },
        });
        Assert.Equal(HttpStatusCode.OK, rollout.StatusCode);
        return await Eventually.Until(ViewAsync, v => v.Desired?.Version == version && v.State == DeviceState.UpToDate,
            $"{deviceId} up to date on {file}", Patience);
    }
}
