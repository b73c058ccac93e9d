using System.Collections.Concurrent;
using System.Security.Cryptography;
using FleetQuant.Compression.Data;
using FleetQuant.DeviceAgent;
using FleetQuant.DeviceAgent.Link;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Topics;
using FleetQuant.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet.Server;

namespace FleetQuant.EndToEnd.Tests;

/// <summary>
/// The telemetry loop against a plain MQTT broker that closes the device's connection while its first telemetry
/// message is in flight, so the publish fails after the loop saw the link connected: the loop must carry on.
/// </summary>
public sealed class TelemetryReconnectTests : IAsyncLifetime
{
    private const string DeviceId = "telemetry-dev";

    private readonly int _port = FreeTcpPorts.Claim();
    private readonly string _stateDirectory = Directory.CreateTempSubdirectory("fq-telemetry").FullName;
    private readonly ConcurrentQueue<DateTimeOffset> _telemetry = new();
    private MqttServer _broker = null!;
    private int _cuts;

    public async Task InitializeAsync()
    {
        _broker = new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(System.Net.IPAddress.Loopback)
            .WithDefaultEndpointPort(_port)
            .Build());
        _broker.InterceptingPublishAsync += args =>
        {
            if (args.ApplicationMessage.Topic != DeviceTopics.Up(DeviceId, DeviceTopics.Telemetry))
            {
                return Task.CompletedTask;
            }
            if (Interlocked.Increment(ref _cuts) == 1)
            {
                // Closed before the PUBACK: the device's publish fails although the link was up when it began.
                args.ProcessPublish = false;
                args.CloseConnection = true;
            }
            else
            {
                _telemetry.Enqueue(DateTimeOffset.UtcNow);
            }
            return Task.CompletedTask;
        };
        await _broker.StartAsync();
    }

    [Fact]
    public async Task TelemetryLoop_PublishFailsWhenTheLinkDrops_CarriesOnAfterTheReconnect()
    {
        using var key = ManifestKeys.Generate();
        await using var agent = new DeviceRuntime(new AgentOptions
        {
            Link = new LinkOptions { Host = "127.0.0.1", Port = _port, DeviceId = DeviceId, Secret = "unused", HealthCheckInterval = TimeSpan.FromMilliseconds(200) },
            ServerPublicKeyPem = key.ExportSubjectPublicKeyInfoPem(),
            StateDirectory = _stateDirectory,
            TelemetryInterval = TimeSpan.FromMilliseconds(100),
            InferenceInterval = TimeSpan.FromSeconds(1),
        }, GeneratedInputs.Create([784], 1, seed: 1), NullLogger.Instance);
        await agent.StartAsync(CancellationToken.None);

        await Eventually.Until(() => Task.FromResult(agent.TelemetryLost), lost => lost >= 1, "a telemetry publish lost with the link", TimeSpan.FromSeconds(30));
        await Eventually.Until(() => Task.FromResult(_telemetry.Count), count => count >= 2, "telemetry after the reconnect", TimeSpan.FromSeconds(30));

        Assert.True(agent.Reconnects >= 1, "the device never reconnected");
    }

    public async Task DisposeAsync()
    {
        await _broker.StopAsync();
        _broker.Dispose();
        Directory.Delete(_stateDirectory, recursive: true);
    }
}
