using FleetQuant.Gateway.Hosting;
using FleetQuant.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Tests;

/// <summary>
/// Every settings class refuses a value it cannot work with when the host starts (or is built, for the settings that
/// shape it), with a message naming the configuration key: the silo host as Program.cs composes it, and the standalone Gateway.
/// </summary>
public sealed class OptionsValidationTests
{
    public static TheoryData<string, string> BadSiloSettings => new()
    {
        { "FleetQuant:Rollouts:DispatchBatchSize", "0" },
        { "FleetQuant:Rollouts:ReminderPeriod", "00:00:00" },
        { "FleetQuant:Rollouts:UnreachableGrace", "-00:00:01" },
        { "FleetQuant:Devices:HistoryKept", "0" },
        { "FleetQuant:Devices:TelemetryWindow", "00:00:00" },
        { "FleetQuant:Compression:QueueCapacity", "0" },
        { "FleetQuant:Compression:LadderRecipes:0", "q3b32a" },
        { "FleetQuant:Artifacts:Path", " " },
        { "FleetQuant:Manifests:ChunkSize", "0" },
        { "FleetQuant:Manifests:Lifetime", "00:00:00" },
        { "FleetQuant:Gateway:MaxJsonBodyBytes", "0" },
        { "FleetQuant:Gateway:OperatorTokens:0", "short" },
        { "FleetQuant:Mqtt:MaxConnections", "0" },
        { "FleetQuant:Mqtt:ListenAddress", "not-an-ip" },
        { "FleetQuant:Metrics:MaxRollouts", "0" },
        { "FleetQuant:Metrics:SamplePeriod", "00:00:00.001" },
        { "FleetQuant:DataDirectory", " " },
        { "FleetQuant:Cluster:SiloPort", "0" },
        { "FleetQuant:Cluster:Address", "localhost" },
        { "FleetQuant:Cluster:Mode", "Redis" },
    };

    public static TheoryData<string, string> BadGatewaySettings => new()
    {
        { "FleetQuant:Cluster:GatewayPort", "70000" },
        { "FleetQuant:Cluster:ClusterId", "" },
        { "FleetQuant:Cluster:Mode", "Redis" },
        { "FleetQuant:Gateway:MaxModelUploadBytes", "-1" },
    };

    [Theory]
    [MemberData(nameof(BadSiloSettings))]
    public async Task SiloHost_RefusesABadSetting_NamingItsKey(string key, string value)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(key, value, standaloneGateway: false));

        Assert.Contains(KeyOf(key), failure.Message);
    }

    [Theory]
    [MemberData(nameof(BadGatewaySettings))]
    public async Task StandaloneGateway_RefusesABadSetting_NamingItsKey(string key, string value)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(key, value, standaloneGateway: true));

        Assert.Contains(KeyOf(key), failure.Message);
    }

    [Fact]
    public void StandaloneGateway_BindsTheClusterSectionThroughTheSilosOptionsClass()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FleetQuant:Cluster:ClusterId"] = "blue",
            ["FleetQuant:Cluster:ServiceId"] = "fleet-blue",
            ["FleetQuant:Cluster:GatewayPort"] = "30123",
        });
        builder.AddFleetQuantOrleansClient();
        using var app = builder.Build();

        var cluster = app.Services.GetRequiredService<IOptions<ClusterHostOptions>>().Value;
        var orleans = app.Services.GetRequiredService<IOptions<Orleans.Configuration.ClusterOptions>>().Value;

        Assert.Equal(("blue", "fleet-blue", 30123), (cluster.ClusterId, cluster.ServiceId, cluster.GatewayPort));
        Assert.Equal(("blue", "fleet-blue"), (orleans.ClusterId, orleans.ServiceId));
    }

    /// <summary>A bad list entry is reported under the list's key (<c>OperatorTokens:0</c> as <c>OperatorTokens</c>).</summary>
    private static string KeyOf(string key) => key.EndsWith(":0", StringComparison.Ordinal) ? key[..^2] : key;

    private static async Task StartAsync(string key, string value, bool standaloneGateway)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "fq-options-tests", Guid.NewGuid().ToString("N"));
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Free ports, so a setting wrongly accepted starts a host that disturbs nothing (and the test still fails).
            ["urls"] = $"http://127.0.0.1:{FreeTcpPorts.Claim()}",
            ["FleetQuant:DataDirectory"] = dataDirectory,
            ["FleetQuant:Cluster:SiloPort"] = FreeTcpPorts.Claim().ToString(),
            ["FleetQuant:Cluster:GatewayPort"] = FreeTcpPorts.Claim().ToString(),
            ["FleetQuant:Mqtt:Port"] = "0",
            [key] = value,
        });
        if (standaloneGateway)
        {
            builder.AddFleetQuantOrleansClient();
        }
        else
        {
            builder.AddFleetQuantSilo();
        }
        builder.AddFleetQuantGateway();
        await using var app = builder.Build();
        try
        {
            app.MapFleetQuantGateway();
            await app.StartAsync();
            await app.StopAsync();
        }
        finally
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }
}
