using System.Net;
using System.Net.Http.Json;
using System.Text;
using FleetQuant.Api.Contracts;
using FleetQuant.Compression.Data;
using FleetQuant.DeviceAgent;
using FleetQuant.DeviceAgent.Link;
using FleetQuant.DeviceAgent.Profiles;
using FleetQuant.Protocol.Messages;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace FleetQuant.Gateway.Tests;

/// <summary>The lead's device agent against the real all-in-one host: v1 as a full artifact, then v2 as a delta.</summary>
public sealed class DeviceAgentEndToEndTests(AllInOneHost host) : IClassFixture<AllInOneHost>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    [Fact]
    public async Task Agent_InstallsV1_ThenV2AsADelta()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "e2e-agent-1");
        var state = Path.Combine(host.DataDirectory, "agent-e2e-agent-1");
        await using var agent = new DeviceRuntime(new AgentOptions
        {
            Link = new LinkOptions { Host = device.MqttHost, Port = device.MqttPort, DeviceId = device.DeviceId, Secret = device.Secret },
            ServerPublicKeyPem = device.ServerPublicKeyPem,
            StateDirectory = state,
            Profile = new ProfileOverrides { HardwareClass = "pi4", ModelMemoryBudgetBytes = 256L << 20, BandwidthBitsPerSecond = 50_000_000 },
            InferenceInterval = TimeSpan.FromMilliseconds(200),
        }, GeneratedInputs.Create([784], 4, seed: 1), NullLogger.Instance);
        await agent.StartAsync(CancellationToken.None);

        var v1 = await UpgradeAsync("e2e-fashion", "fashion-mlp-v1.onnx", "e2e-ro-1", device.DeviceId, agent);
        Assert.Null(v1.Desired!.Delta);

        var downloadedBefore = agent.BytesDownloaded;
        var v2 = await UpgradeAsync("e2e-fashion", "fashion-mlp-v2.onnx", "e2e-ro-2", device.DeviceId, agent);
        Assert.NotNull(v2.Desired!.Delta);
        Assert.True(agent.BytesDownloaded - downloadedBefore < v2.Desired.ArtifactBytes,
            $"v2 moved {agent.BytesDownloaded - downloadedBefore} bytes, the full artifact is {v2.Desired.ArtifactBytes}");
        Assert.Contains(agent.Reports, r => r.Release == v2.Desired.Release && r.Stage == UpdateStage.Succeeded);
    }

    private async Task<DeviceView> UpgradeAsync(string modelId, string file, string rolloutId, string deviceId, DeviceRuntime agent)
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
        var rollout = await host.Http.PostAsync("/api/rollouts", new StringContent(
            $$"""{"rolloutId":"{{rolloutId}}","modelId":"{{modelId}}","version":"{{version}}","deviceIds":["{{deviceId}}"],"waves":[{"count":1}]}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, rollout.StatusCode);
        var view = await Eventually.Until(() => host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{deviceId}", Json)!,
            v => v!.Desired?.Version == version && v.State == DeviceState.UpToDate, $"{deviceId} up to date on {file}", Patience);
        Assert.Equal(view!.Desired!.ArtifactHash, agent.CurrentArtifact);
        return view;
    }
}
