using System.Diagnostics;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Gateway.Mosquitto;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;

namespace FleetQuant.Gateway.Tests;

/// <summary>The limits in the generated mosquitto.conf, checked against Debian's real Mosquitto 2 (no silo needed).</summary>
[Trait("Category", "Mosquitto")]
public sealed class MosquittoLimitsTests
{
    private const string Binary = "/usr/sbin/mosquitto";

    [Fact]
    public void GeneratedConf_CarriesTheConfiguredLimits_AndTheAclOnlyTheUplinkKinds()
    {
        var limits = new MqttOptions { MaxMessageBytes = 4096, MaxConnections = 7, MaxPendingMessagesPerClient = 9 };
        var config = MosquittoConfigWriter.Write("gw", "hash", [("dev-1", "h1")], limits);
        var lines = config.ConfFile.Split('\n');
        Assert.Contains("max_packet_size 5120", lines);
        Assert.Contains("max_connections 7", lines);
        Assert.Contains("max_queued_messages 9", lines);
        Assert.Contains("max_inflight_messages 20", lines);
        Assert.True(Array.IndexOf(lines, "listener 1883") < Array.IndexOf(lines, "max_connections 7"), "max_connections must follow its listener");
        Assert.Contains("pattern write fq/%u/up/telemetry\n", config.AclFile);
        Assert.DoesNotContain("up/#", config.AclFile);
    }

    [Fact]
    public async Task Mosquitto_WithTheGeneratedLimits_RefusesAOneMegabytePublish()
    {
        Assert.True(File.Exists(Binary), "Mosquitto (Debian package mosquitto) is needed");
        var dir = Path.Combine(Path.GetTempPath(), "fq-mosquitto-limits", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var port = FreeTcpPorts.Claim();
        var conf = Path.Combine(dir, "mosquitto.conf");
        await File.WriteAllTextAsync(conf, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            + MosquittoConfigWriter.LimitSettings(new MqttOptions()));
        var big = Path.Combine(dir, "big.bin");
        await File.WriteAllBytesAsync(big, new byte[1024 * 1024]);
        using var broker = Process.Start(new ProcessStartInfo(Binary, ["-c", conf]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            // MQTT 3.1.1: the client cannot learn the limit from CONNACK (over MQTT 5 libmosquitto silently skips the
            // oversized publish), so this shows the broker itself enforcing it, as against a client that ignores it.
            string[] target = ["-h", "127.0.0.1", "-p", port.ToString(), "-V", "mqttv311", "-q", "1", "-t", "fq/dev-1/up/telemetry"];
            var small = await Eventually.Until(() => MosquittoClients.RunAsync(MosquittoClients.Pub, [.. target, "-m", "{}"]),
                r => r.ExitCode == 0, "Mosquitto accepting a small publish");
            var large = await MosquittoClients.RunAsync(MosquittoClients.Pub, [.. target, "-f", big]);
            Assert.True(large.ExitCode != 0, $"1 MiB publish should be refused: {large} (small: {small})");
            Assert.Contains("connection was lost", large.StandardError, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            broker.Kill();
            await broker.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }
}
