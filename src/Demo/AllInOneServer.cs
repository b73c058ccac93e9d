using System.Globalization;
using System.Security.Cryptography;
using FleetQuant.Gateway.Bridge;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FleetQuant.Demo;

/// <summary>What the in-process all-in-one server listens on and how it measures ladders.</summary>
public sealed record AllInOneServerOptions
{
    /// <summary>SQLite database and artifacts; null uses a fresh temp directory that is deleted on dispose.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>HTTP port on 127.0.0.1 (REST API, /metrics, /health); 0 picks a free one.</summary>
    public int HttpPort { get; init; }

    /// <summary>Embedded MQTT broker port on 127.0.0.1; 0 picks a free one.</summary>
    public int MqttPort { get; init; }

    /// <summary>The operator token; null generates one.</summary>
    public string? Token { get; init; }

    /// <summary>Recipe ids of every ladder; empty measures the compression engine's default grid.</summary>
    public IReadOnlyList<string> LadderRecipes { get; init; } = [];

    public bool LadderMixedPrecision { get; init; } = true;

    /// <summary>How often rollouts advance.</summary>
    public TimeSpan RolloutTick { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Lowest level of the host's own log lines (written to stderr).</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Error;
}

/// <summary>
/// The all-in-one FleetQuant host in this process, as <c>src/Silo</c>'s Program.cs builds it: one silo with SQLite
/// storage, the Gateway's REST API and MQTT bridge, and the embedded broker, all on loopback. Used by <c>demo</c> and
/// by tests that drive the operator verbs against a real server.
/// </summary>
public sealed class AllInOneServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDirectory;
    private readonly bool _ownsDataDirectory;

    private AllInOneServer(WebApplication app, string dataDirectory, bool ownsDataDirectory, Uri url, string token, string mqttHost, int mqttPort)
    {
        _app = app;
        _dataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        Url = url;
        Token = token;
        MqttHost = mqttHost;
        MqttPort = mqttPort;
    }

    public Uri Url { get; }

    public string Token { get; }

    public string MqttHost { get; }

    public int MqttPort { get; }

    public string DataDirectory => _dataDirectory;

    public static async Task<AllInOneServer> StartAsync(AllInOneServerOptions options, CancellationToken cancellationToken)
    {
        var owns = options.DataDirectory is null;
        var dataDirectory = options.DataDirectory ?? Path.Combine(Path.GetTempPath(), "fleetquant-demo-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDirectory);
        var httpPort = options.HttpPort > 0 ? options.HttpPort : FreeTcpPorts.Claim();
        var token = options.Token ?? "demo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{httpPort}",
            ["FleetQuant:DataDirectory"] = dataDirectory,
            ["FleetQuant:Cluster:SiloPort"] = FreeTcpPorts.Claim().ToString(CultureInfo.InvariantCulture),
            ["FleetQuant:Cluster:GatewayPort"] = FreeTcpPorts.Claim().ToString(CultureInfo.InvariantCulture),
            ["FleetQuant:Mqtt:ListenAddress"] = "127.0.0.1",
            ["FleetQuant:Mqtt:Port"] = options.MqttPort.ToString(CultureInfo.InvariantCulture),
            ["FleetQuant:Gateway:OperatorTokens:0"] = token,
            ["FleetQuant:Compression:LadderMixedPrecision"] = options.LadderMixedPrecision ? "true" : "false",
            ["FleetQuant:Rollouts:TickPeriod"] = options.RolloutTick.ToString("c", CultureInfo.InvariantCulture),
        };
        for (var i = 0; i < options.LadderRecipes.Count; i++)
        {
            settings[$"FleetQuant:Compression:LadderRecipes:{i}"] = options.LadderRecipes[i];
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = dataDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddFleetQuantSilo();
        builder.AddFleetQuantGateway();
        var app = builder.Build();
        app.MapFleetQuantHealth();
        app.MapFleetQuantGateway();
        try
        {
            await app.StartAsync(cancellationToken);
            await app.Services.GetRequiredService<MqttBridge>().Connected.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var broker = app.Services.GetRequiredService<BrokerEndpoint>();
        return new AllInOneServer(app, dataDirectory, owns, new Uri($"http://127.0.0.1:{httpPort}"), token, broker.Host, broker.Port);
    }

    /// <summary>Completes when the host is asked to stop (Ctrl+C or SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (_ownsDataDirectory)
        {
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
}
