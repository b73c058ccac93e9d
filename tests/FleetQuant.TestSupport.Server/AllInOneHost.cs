using System.Net.Http.Headers;
using FleetQuant.Gateway.Bridge;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FleetQuant.TestSupport.Server;

/// <summary>
/// A real all-in-one host in this process — silo (SQLite under a temp dir), Gateway, embedded broker on a free port,
/// REST API on a free port — as the Silo's Program.cs builds it. Shared by the tests of a class.
/// </summary>
public class AllInOneHost : IAsyncLifetime
{
    public const string Token = "test-operator-token-0123456789";
    public const long UploadLimit = 2 * 1024 * 1024;

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "fq-gateway-tests", Guid.NewGuid().ToString("N"));
    private WebApplication? _app;

    public HttpClient Http { get; private set; } = null!;

    public HttpClient Anonymous { get; private set; } = null!;

    public string MqttHost { get; private set; } = "";

    public int MqttPort { get; private set; }

    public string DataDirectory => _dataDirectory;

    public Task BridgeConnected => _app!.Services.GetRequiredService<MqttBridge>().Connected;

    /// <summary>Whether start-up waits for the bridge (an external broker may start later).</summary>
    protected virtual bool WaitForBridge => true;

    /// <summary>The host's services (grain factory, Gateway singletons), for checks the HTTP API does not expose.</summary>
    public IServiceProvider Services => _app!.Services;

    public GatewayCounters Counters => _app!.Services.GetRequiredService<GatewayCounters>();

    public virtual async Task InitializeAsync()
    {
        var httpPort = FreeTcpPorts.Claim();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{httpPort}",
            ["FleetQuant:DataDirectory"] = _dataDirectory,
            ["FleetQuant:Cluster:SiloPort"] = FreeTcpPorts.Claim().ToString(),
            ["FleetQuant:Cluster:GatewayPort"] = FreeTcpPorts.Claim().ToString(),
            ["FleetQuant:Mqtt:Port"] = "0",
            ["FleetQuant:Gateway:OperatorTokens:0"] = Token,
            ["FleetQuant:Gateway:MaxModelUploadBytes"] = UploadLimit.ToString(),
            ["FleetQuant:Compression:Parallelism"] = "1",
            ["FleetQuant:Compression:LadderRecipes:0"] = "fp32",
            ["FleetQuant:Compression:LadderRecipes:1"] = "q8cs",
            ["FleetQuant:Compression:LadderMixedPrecision"] = "false",
            ["FleetQuant:Compression:LadderEvalSamples"] = "8",
            ["FleetQuant:Rollouts:TickPeriod"] = "00:00:00.200",
        };
        Configure(settings);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddFleetQuantSilo();
        builder.AddFleetQuantGateway();
        _app = builder.Build();
        _app.MapFleetQuantHealth();
        _app.MapFleetQuantGateway();
        await _app.StartAsync();
        if (WaitForBridge)
        {
            await BridgeConnected.WaitAsync(TimeSpan.FromSeconds(30));
        }

        var endpoint = _app.Services.GetRequiredService<BrokerEndpoint>();
        MqttHost = endpoint.Host;
        MqttPort = endpoint.Port;
        Anonymous = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    /// <summary>Lets a derived host change settings (e.g. an external broker).</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    public virtual async Task DisposeAsync()
    {
        Http.Dispose();
        Anonymous.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }
}
