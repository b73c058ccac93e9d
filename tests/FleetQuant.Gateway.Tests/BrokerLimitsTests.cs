using System.Globalization;
using System.Net.Http.Json;
using FleetQuant.Api.Contracts;
using FleetQuant.Gateway.Api;
using FleetQuant.Gateway.Broker;
using FleetQuant.Gateway.Tests.Support;
using FleetQuant.Grains.Observability;
using FleetQuant.Protocol.Topics;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using Microsoft.Extensions.DependencyInjection;

namespace FleetQuant.Gateway.Tests;

/// <summary>An all-in-one host whose embedded broker has small limits, so tests can reach them quickly.</summary>
public sealed class LimitedBrokerHost : AllInOneHost
{
    public const int Burst = 5;
    public const int MaxConnections = 3;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["FleetQuant:Mqtt:DeviceMessagesPerSecond"] = "2";
        settings["FleetQuant:Mqtt:DeviceMessageBurst"] = Burst.ToString(CultureInfo.InvariantCulture);
        settings["FleetQuant:Mqtt:MaxConnections"] = MaxConnections.ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// What the embedded broker bounds for devices, seen from Debian's <c>mosquitto_pub</c>/<c>mosquitto_sub</c>: where it
/// listens, payload size, retained messages, uplink subtopics, per-device message rate and connections.
/// </summary>
[Trait("Category", "Mosquitto")]
public sealed class BrokerLimitsTests(LimitedBrokerHost host) : IClassFixture<LimitedBrokerHost>
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    [Fact]
    public void EmbeddedBroker_ListensOnLoopbackOnly_NoWildcardOnEitherFamily()
    {
        var listeners = ListeningAddresses("/proc/net/tcp", host.MqttPort).Concat(ListeningAddresses("/proc/net/tcp6", host.MqttPort)).ToList();
        Assert.Contains("0100007F", listeners);
        Assert.DoesNotContain(listeners, a => a.Trim('0').Length == 0);
        if (File.ReadAllText("/proc/net/if_inet6").Contains("00000000000000000000000000000001", StringComparison.Ordinal))
        {
            // ::1 as /proc/net/tcp6 prints it (four little-endian words).
            Assert.Contains("00000000000000000000000001000000", listeners);
        }
    }

    [Fact]
    public async Task OversizedPublish_OnOwnUplink_IsRefusedCountedAndNeverReachesTheBridge()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "lim-big-1");
        var file = Path.Combine(host.DataDirectory, "big.bin");
        await File.WriteAllBytesAsync(file, new byte[1024 * 1024]);
        var tooLarge = RejectionCounts.Of(RejectionReason.TooLarge);
        var malformed = host.Counters.MalformedMessages;

        var run = await MosquittoClients.RunAsync(MosquittoClients.Pub,
            [.. Connect(device), "-q", "1", "-t", DeviceTopics.Up(device.DeviceId, DeviceTopics.Telemetry), "-f", file]);

        await Eventually.Until(() => Task.FromResult(RejectionCounts.Of(RejectionReason.TooLarge)), n => n > tooLarge, $"too-large counted ({run})");
        Assert.True(run.ExitCode != 0, $"the sender should be disconnected: {run}");
        // A message that reached the bridge would be counted malformed there (it is not JSON): give it time to arrive.
        await Task.Delay(500);
        Assert.Equal(malformed, host.Counters.MalformedMessages);
    }

    [Fact]
    public async Task DeviceRetainedPublish_IsDeliveredButNotRetained_AndUnknownSubtopicsAreRefused()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "lim-retain-1");
        var status = DeviceTopics.Up(device.DeviceId, DeviceTopics.Status);
        var acl = RejectionCounts.Of(RejectionReason.Acl);

        var retained = await MosquittoClients.RunAsync(MosquittoClients.Pub, [.. Connect(device), "-q", "1", "-r", "-t", status, "-m", "{\"online\":true}"]);
        Assert.True(retained.ExitCode == 0, retained.ToString());
        await Eventually.Until(() => host.Http.GetFromJsonAsync<DeviceView>($"/api/devices/{device.DeviceId}", Json)!,
            v => v!.Connection?.Online == true, "the status, its retain flag cleared, still reaches the bridge");
        var junk = await MosquittoClients.RunAsync(MosquittoClients.Pub,
            [.. Connect(device), "-q", "1", "-r", "-t", DeviceTopics.UplinkPrefix(device.DeviceId) + "junk1", "-m", new string('x', 1000)]);
        Assert.Contains("not authori", junk.StandardError, StringComparison.OrdinalIgnoreCase);
        await Eventually.Until(() => Task.FromResult(RejectionCounts.Of(RejectionReason.Acl)), n => n > acl, "unknown subtopic counted as acl");

        // A retained last will, left by a client killed without DISCONNECT.
        using (var willing = MosquittoClients.StartLineBuffered(MosquittoClients.Sub,
        [
            .. Connect(device), "-d", "-q", "1", "-t", DeviceTopics.Down(device.DeviceId, DeviceTopics.Command),
            "--will-topic", status, "--will-payload", "{\"online\":false}", "--will-qos", "1", "--will-retain",
        ]))
        {
            await MosquittoClients.WaitForLineAsync(willing.StandardOutput, "SUBACK");
            willing.Kill();
            await willing.WaitForExitAsync();
        }
        await Task.Delay(500);

        // The Gateway account may read everything: whatever is retained under the device's uplink shows up here.
        var account = host.Services.GetRequiredService<GatewayAccount>();
        var read = await MosquittoClients.RunAsync(MosquittoClients.Sub,
        [
            .. MosquittoClients.Connection(host.MqttHost, host.MqttPort, "mqttv5", "lim-retain-reader", account.User, account.Secret),
            "--retained-only", "-v", "-t", DeviceTopics.UplinkPrefix(device.DeviceId) + "#", "-W", "3",
        ]);
        Assert.Equal("", read.StandardOutput.Trim());
    }

    [Fact]
    public async Task UplinkOverTheDeviceRate_IsDroppedAndCounted()
    {
        var device = await GatewayTestData.ProvisionAsync(host.Http, "lim-rate-1");
        var limited = RejectionCounts.Of(RejectionReason.RateLimited);
        var refused = host.Counters.RefusedPublishes;

        var run = await MosquittoClients.RunAsync(MosquittoClients.Pub,
            [.. Connect(device), "-q", "1", "-t", DeviceTopics.Up(device.DeviceId, DeviceTopics.Telemetry), "-m", "{}", "--repeat", "30"]);

        Assert.Contains("quota", run.StandardError, StringComparison.OrdinalIgnoreCase);
        // 30 at once against a burst of 5 at 2/s: at least 20 dropped however slow the machine is (< 2.5 s for the run).
        await Eventually.Until(() => Task.FromResult(RejectionCounts.Of(RejectionReason.RateLimited)), n => n >= limited + 20, "rate-limited counted");
        Assert.True(host.Counters.RefusedPublishes >= refused + 20);
    }

    [Fact]
    public async Task ConnectionsBeyondTheLimit_AreRefused_WhileTheBridgeStaysConnected()
    {
        var limited = RejectionCounts.Of(RejectionReason.ConnectionLimit);
        var devices = new List<ProvisionDeviceResponse>();
        for (var i = 0; i < LimitedBrokerHost.MaxConnections; i++)
        {
            devices.Add(await GatewayTestData.ProvisionAsync(host.Http, $"lim-conn-{i}"));
        }
        // The bridge holds one connection; fill the rest with subscribers that stay.
        var holders = new List<System.Diagnostics.Process>();
        try
        {
            foreach (var device in devices.Take(LimitedBrokerHost.MaxConnections - 1))
            {
                var holder = MosquittoClients.StartLineBuffered(MosquittoClients.Sub,
                    [.. Connect(device), "-d", "-q", "1", "-t", DeviceTopics.Down(device.DeviceId, DeviceTopics.Command)]);
                holders.Add(holder);
                await MosquittoClients.WaitForLineAsync(holder.StandardOutput, "SUBACK");
            }
            var refused = await MosquittoClients.RunAsync(MosquittoClients.Sub,
                [.. Connect(devices[^1]), "-q", "1", "-t", DeviceTopics.Down(devices[^1].DeviceId, DeviceTopics.Command), "-W", "5"]);
            Assert.True(refused.ExitCode != 0, refused.ToString());
            Assert.Contains("quota", refused.StandardError, StringComparison.OrdinalIgnoreCase);
            await Eventually.Until(() => Task.FromResult(RejectionCounts.Of(RejectionReason.ConnectionLimit)), n => n > limited, "connection-limit counted");
        }
        finally
        {
            foreach (var holder in holders)
            {
                holder.Kill();
                await holder.WaitForExitAsync();
                holder.Dispose();
            }
        }
    }

    private List<string> Connect(ProvisionDeviceResponse device) =>
        MosquittoClients.Connection(host.MqttHost, host.MqttPort, "mqttv5", device.DeviceId, device.DeviceId, device.Secret);

    /// <summary>Local addresses (kernel hex) of sockets listening on <paramref name="port"/>.</summary>
    private static IEnumerable<string> ListeningAddresses(string table, int port) =>
        File.ReadLines(table).Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f[3] == "0A" && int.Parse(f[1][(f[1].IndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            .Select(f => f[1][..f[1].IndexOf(':')]);
}
