using System.Diagnostics;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Gateway.Mosquitto;

namespace FleetQuant.Gateway.Tests.Support;

/// <summary>
/// The all-in-one host configured for an external broker, plus a real Mosquitto 2 (Debian's /usr/sbin/mosquitto)
/// started from the password and ACL files the Gateway generates.
/// </summary>
public sealed class MosquittoHost : AllInOneHost
{
    public const string GatewaySecret = "gateway-secret-for-mosquitto-tests";
    private const string Binary = "/usr/sbin/mosquitto";
    private readonly int _port = FreeTcpPorts.Claim();
    private Process? _mosquitto;

    protected override bool WaitForBridge => false;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["FleetQuant:Mqtt:Broker"] = $"127.0.0.1:{_port}";
        settings["FleetQuant:Mqtt:GatewaySecret"] = GatewaySecret;
    }

    /// <summary>Writes the Gateway's generated files and starts Mosquitto with them; waits for the bridge to connect.</summary>
    public async Task StartBrokerAsync(MosquittoConfig config)
    {
        Assert.True(File.Exists(Binary), "Mosquitto (Debian package mosquitto) is needed for the external-broker test");
        var dir = Path.Combine(DataDirectory, "mosquitto");
        Directory.CreateDirectory(dir);
        var passwords = Path.Combine(dir, "passwd");
        var acl = Path.Combine(dir, "acl");
        await File.WriteAllTextAsync(passwords, config.PasswordFile);
        await File.WriteAllTextAsync(acl, config.AclFile);
        if (!OperatingSystem.IsWindows())
        {
            // Mosquitto warns about (and future versions refuse) password files others can read.
            File.SetUnixFileMode(passwords, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.SetUnixFileMode(acl, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var conf = Path.Combine(dir, "mosquitto.conf");
        await File.WriteAllTextAsync(conf, $"""
            user root
            listener {_port} 127.0.0.1
            allow_anonymous false
            password_file {passwords}
            acl_file {acl}
            persistence false
            """.Replace("            ", "", StringComparison.Ordinal));
        _mosquitto = Process.Start(new ProcessStartInfo(Binary, ["-c", conf]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await BridgeConnected.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public int BrokerPort => _port;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_mosquitto is { HasExited: false })
        {
            _mosquitto.Kill();
            await _mosquitto.WaitForExitAsync();
        }
        _mosquitto?.Dispose();
    }
}
