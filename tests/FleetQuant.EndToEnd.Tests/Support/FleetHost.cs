using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FleetQuant.Api.Contracts;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;

namespace FleetQuant.EndToEnd.Tests.Support;

/// <summary>
/// The real all-in-one host (silo, Gateway, embedded broker on loopback) with a three-recipe ladder and a known
/// Gateway broker secret (so a test can act as the cloud on the broker), plus the sample model v1 and v2 uploaded once.
/// </summary>
public sealed class FleetHost : AllInOneHost
{
    public const string ModelId = "e2e-fleet";
    public const string GatewayUser = "fleetquant-gateway";
    public const string GatewaySecret = "e2e-gateway-secret-0123456789abcdef";

    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(150);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly SemaphoreSlim _uploadOnce = new(1, 1);
    private (string V1, string V2)? _versions;

    /// <summary>Uploads the sample model v1 and v2 (once per host) and waits for both ladders.</summary>
    public async Task<(string V1, string V2)> ModelVersionsAsync()
    {
        await _uploadOnce.WaitAsync();
        try
        {
            _versions ??= (await UploadAsync("fashion-mlp-v1.onnx"), await UploadAsync("fashion-mlp-v2.onnx"));
            return _versions.Value;
        }
        finally
        {
            _uploadOnce.Release();
        }
    }

    /// <summary>Starts a rollout of <paramref name="version"/> to exactly these devices in the given waves (percent each).</summary>
    public Task StartRolloutAsync(string rolloutId, string version, IReadOnlyCollection<string> deviceIds, params double[] wavePercents) =>
        StartRolloutAsync(ModelId, rolloutId, version, deviceIds, maxAccuracyDrop: 0.02, wavePercents);

    public async Task StartRolloutAsync(string modelId, string rolloutId, string version, IReadOnlyCollection<string> deviceIds, double maxAccuracyDrop,
        params double[] wavePercents)
    {
        var request = new
        {
            rolloutId,
            modelId,
            version,
            deviceIds,
            waves = (wavePercents.Length == 0 ? [100.0] : wavePercents).Select(p => new { percent = p }),
            successThreshold = 1.0,
            failureThreshold = 0.5,
            // Twenty seconds of download rules FP32 out on a 250 kbit/s link: the classes cannot all get the same recipe.
            policy = new { maxTransferSeconds = 20, maxAccuracyDrop },
        };
        var response = await Http.PostAsJsonAsync("/api/rollouts", request, Json);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"rollout {rolloutId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public Task<RolloutView> RolloutCompletedAsync(string rolloutId) =>
        Eventually.Until(async () => (await Http.GetFromJsonAsync<RolloutView>($"/api/rollouts/{rolloutId}", Json))!,
            r => r.State is RolloutState.Completed or RolloutState.Aborted or RolloutState.Paused,
            $"rollout {rolloutId} to finish", Patience);

    public async Task<DeviceView> DeviceAsync(string deviceId) => (await Http.GetFromJsonAsync<DeviceView>($"/api/devices/{deviceId}", Json))!;

    /// <summary>Waits until the device's grain has its hello: the profile it reported replaced the provisioning placeholder.</summary>
    public Task<DeviceView> HelloSeenAsync(string deviceId, string arch) =>
        Eventually.Until(() => DeviceAsync(deviceId), v => v.Profile?.Arch == arch && v.LastSeen is not null, $"hello of {deviceId}", Patience);

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["FleetQuant:Mqtt:GatewayUser"] = GatewayUser;
        settings["FleetQuant:Mqtt:GatewaySecret"] = GatewaySecret;
        settings["FleetQuant:Compression:LadderRecipes:2"] = "q4b128a";
        settings["FleetQuant:Compression:LadderEvalSamples"] = "64";
    }

    private async Task<string> UploadAsync(string file)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(await File.ReadAllBytesAsync(FleetQuant.Compression.Data.SampleData.ModelPath(file))), "model", file },
        };
        var upload = await Http.PostAsync($"/api/models/{ModelId}/versions", form);
        Assert.True(upload.StatusCode == HttpStatusCode.OK, $"upload {file}: {(int)upload.StatusCode} {await upload.Content.ReadAsStringAsync()}");
        var version = (await upload.Content.ReadFromJsonAsync<ModelVersionView>(Json))!.Version;
        await Eventually.Until(async () => (await Http.GetFromJsonAsync<ModelView>($"/api/models/{ModelId}", Json))!,
            m => m.Versions.Single(v => v.Version == version).Status == ModelStatus.Ready, $"ladder of {file}", Patience);
        return version;
    }
}

/// <summary>One host for every end-to-end test: its start-up and the two ladders are paid once, and tests run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class FleetCollection : ICollectionFixture<FleetHost>
{
    public const string Name = "fleet";
}
