using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FleetQuant.Api.Contracts;
using FleetQuant.Compression.Data;
using FleetQuant.DeviceAgent;
using FleetQuant.DeviceAgent.Link;
using FleetQuant.DeviceAgent.Profiles;
using FleetQuant.Protocol.Topics;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace FleetQuant.Observability.Tests.Support;

/// <summary>
/// A real all-in-one host scraped by a real Prometheus, after a small fleet (three device agents, two hardware classes)
/// went through two rollouts: v1 as full artifacts in two waves, then v2 as deltas. Records what the devices were sent
/// so tests can check the metrics against it. One connect with a wrong password gives the refusals panel its data.
/// </summary>
public sealed class ObservedFleet : IAsyncLifetime
{
    public const string ModelId = "obs-fashion";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(180);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private static readonly (string Id, string HardwareClass)[] Devices = [("obs-dev-1", "pi4"), ("obs-dev-2", "pi4"), ("obs-dev-3", "jetson")];

    private readonly List<DeviceRuntime> _agents = [];

    public MetricsHost Host { get; } = new();

    public PrometheusServer Prometheus { get; } = new();

    /// <summary>Bytes the rollouts put on the wire (delta or artifact per device and release).</summary>
    public long SentBytes { get; private set; }

    /// <summary>What the same updates would have cost as full FP32 downloads.</summary>
    public long BaselineBytes { get; private set; }

    public int Updates { get; private set; }

    public async Task InitializeAsync()
    {
        await Host.InitializeAsync();
        await Prometheus.StartAsync(Host.Http.BaseAddress!.Authority, MetricsHost.MetricsToken);
        foreach (var (id, hardwareClass) in Devices)
        {
            _agents.Add(await StartAgentAsync(id, hardwareClass));
        }
        await RollOutAsync("fashion-mlp-v1.onnx", "obs-ro-v1");
        await RollOutAsync("fashion-mlp-v2.onnx", "obs-ro-v2");
        await ConnectWithWrongPasswordAsync();
        // Prometheus has caught up once it saw every settled update and telemetry from devices running a model.
        await Eventually.Until(() => Prometheus.QueryAsync("sum(fleetquant_updates_total)"),
            r => r.Samples.Count == 1 && r.Single() >= Updates, "Prometheus to scrape every settled update", Patience);
        await Eventually.Until(() => Prometheus.QueryAsync("""sum(fleetquant_telemetry_reports_total{version!="none"})"""),
            r => r.Samples.Count == 1 && r.Single() > 0, "Prometheus to scrape telemetry of devices running a model", Patience);
        await Eventually.Until(() => Prometheus.QueryAsync("""sum(fleetquant_rejected_total{reason="auth"})"""),
            r => r.Samples.Count == 1 && r.Single() >= 1, "Prometheus to scrape the refused connect", Patience);
        await Eventually.Until(() => Prometheus.QueryAsync("""sum(fleetquant_rollout_state{rollout="obs-ro-v2",state="completed"})"""),
            r => r.Samples.Count == 1 && r.Single() == 1, "Prometheus to scrape the completed rollout", Patience);
        // rate() needs two samples in its window; a fast run can settle within Prometheus' first scrape or two.
        await Prometheus.WaitForNextScrapeAsync(Patience);
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }
        await Prometheus.DisposeAsync();
        await Host.DisposeAsync();
    }

    /// <summary>
    /// Debian's <c>mosquitto_sub</c> as a device the fleet does not know (so the fleet gauges still count three): the
    /// broker refuses it, reason auth.
    /// </summary>
    private async Task ConnectWithWrongPasswordAsync()
    {
        const string Intruder = "obs-intruder";
        var run = await MosquittoClients.RunAsync(MosquittoClients.Sub,
        [
            .. MosquittoClients.Connection(Host.MqttHost, Host.MqttPort, "mqttv5", Intruder, Intruder, "not-a-provisioned-secret"),
            "-t", DeviceTopics.Down(Intruder, DeviceTopics.Desired), "-W", "10",
        ]);
        Assert.True(run.ExitCode != 0, $"an unknown device should be refused: {run}");
    }

    private async Task<DeviceRuntime> StartAgentAsync(string deviceId, string hardwareClass)
    {
        var device = await GatewayTestData.ProvisionAsync(Host.Http, deviceId, hardwareClass);
        var agent = new DeviceRuntime(new AgentOptions
        {
            Link = new LinkOptions { Host = device.MqttHost, Port = device.MqttPort, DeviceId = device.DeviceId, Secret = device.Secret },
            ServerPublicKeyPem = device.ServerPublicKeyPem,
            StateDirectory = Path.Combine(Host.DataDirectory, "agent-" + deviceId),
            Profile = new ProfileOverrides { HardwareClass = hardwareClass, ModelMemoryBudgetBytes = 256L << 20, BandwidthBitsPerSecond = 50_000_000 },
            InferenceInterval = TimeSpan.FromMilliseconds(100),
            TelemetryInterval = TimeSpan.FromMilliseconds(500),
        }, GeneratedInputs.Create([784], 4, seed: 1), NullLogger.Instance);
        await agent.StartAsync(CancellationToken.None);
        return agent;
    }

    private async Task RollOutAsync(string file, string rolloutId)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(await File.ReadAllBytesAsync(GatewayTestData.ModelPath(file))), "model", file },
        };
        var upload = await Host.Http.PostAsync($"/api/models/{ModelId}/versions", form);
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        var version = (await upload.Content.ReadFromJsonAsync<ModelVersionView>(Json))!.Version;
        var ready = await Eventually.Until(() => Host.Http.GetFromJsonAsync<ModelView>($"/api/models/{ModelId}", Json)!,
            m => m!.Versions.Single(v => v.Version == version).Status == ModelStatus.Ready, $"ladder of {file}", Patience);
        var baseline = ready!.Versions.Single(v => v.Version == version).Ladder!.Baseline.WireBytes;

        var ids = string.Join(",", Devices.Select(d => $"\"{d.Id}\""));
        var created = await Host.Http.PostAsync("/api/rollouts", new StringContent(
            $$"""{"rolloutId":"{{rolloutId}}","modelId":"{{ModelId}}","version":"{{version}}","deviceIds":[{{ids}}],"waves":[{"count":1},{"count":2}]}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        await Eventually.Until(() => Host.Http.GetFromJsonAsync<RolloutView>($"/api/rollouts/{rolloutId}", Json)!,
            r => r!.State is RolloutState.Completed or RolloutState.Aborted or RolloutState.Paused, $"rollout {rolloutId} to finish", Patience);
        foreach (var (id, _) in Devices)
        {
            var view = await Eventually.Until(() => Host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{id}", Json)!,
                v => v!.Desired?.Version == version && v.State == DeviceState.UpToDate, $"{id} up to date on {file}", Patience);
            SentBytes += view!.Desired!.TransferBytes;
            BaselineBytes += baseline;
            Updates++;
        }
    }
}

/// <summary>The all-in-one host with the fleet gauges sampled twice a second and <c>/metrics</c> behind a bearer token.</summary>
public sealed class MetricsHost : AllInOneHost
{
    public const string MetricsToken = "test-metrics-token-0123456789";

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["FleetQuant:Metrics:SamplePeriod"] = "00:00:00.500";
        settings["FleetQuant:Gateway:MetricsToken"] = MetricsToken;
    }
}
