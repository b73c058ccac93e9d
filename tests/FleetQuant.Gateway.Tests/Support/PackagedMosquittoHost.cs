using System.Diagnostics;
using System.Text;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Gateway.Mosquitto;

namespace FleetQuant.Gateway.Tests.Support;

/// <summary>
/// The all-in-one host on an external broker, plus Debian's Mosquitto 2 run the way the package runs it and
/// docs/OPERATIONS.md configures it: started as root it drops to the <c>mosquitto</c> user, so the generated password
/// and ACL files are mode 0600 and owned by that user; <c>use_username_as_clientid</c> is on.
/// </summary>
public sealed class PackagedMosquittoHost : AllInOneHost
{
    private const string Binary = "/usr/sbin/mosquitto";
    private const string GatewaySecret = "gateway-secret-for-packaged-mosquitto";
    private const string BrokerUser = "mosquitto";
    private readonly int _port = FreeTcpPorts.Claim();
    private readonly StringBuilder _log = new();
    private Process? _mosquitto;

    public int BrokerPort => _port;

    protected override bool WaitForBridge => false;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["FleetQuant:Mqtt:Broker"] = $"127.0.0.1:{_port}";
        settings["FleetQuant:Mqtt:GatewaySecret"] = GatewaySecret;
    }

    /// <summary>Writes the Gateway's generated files, starts Mosquitto with them and waits for the bridge to connect.</summary>
    public async Task StartBrokerAsync(MosquittoConfig config)
    {
        Assert.True(File.Exists(Binary), "Mosquitto (Debian package mosquitto) is needed for the external-broker tests");
        var dir = Path.Combine(DataDirectory, "packaged-mosquitto");
        Directory.CreateDirectory(dir);
        var passwords = Path.Combine(dir, "fleetquant.passwd");
        var acl = Path.Combine(dir, "fleetquant.acl");
        await File.WriteAllTextAsync(passwords, config.PasswordFile);
        await File.WriteAllTextAsync(acl, config.AclFile);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(passwords, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.SetUnixFileMode(acl, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        if (Environment.UserName == "root")
        {
            // Mosquitto opens these files after dropping to its own user: root-owned 0600 files would be unreadable.
            await RunAsync("/usr/bin/chown", $"{BrokerUser}:{BrokerUser}", passwords, acl);
        }
        var conf = Path.Combine(dir, "mosquitto.conf");
        await File.WriteAllLinesAsync(conf,
        [
            $"listener {_port} 127.0.0.1",
            "allow_anonymous false",
            "use_username_as_clientid true",
            $"password_file {passwords}",
            $"acl_file {acl}",
            "persistence false",
        ]);
        _mosquitto = Process.Start(new ProcessStartInfo(Binary, ["-c", conf]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        // Drain the log so a chatty broker never blocks on a full pipe; it is shown when start-up fails.
        _mosquitto.ErrorDataReceived += (_, line) => { lock (_log) { _log.AppendLine(line.Data); } };
        _mosquitto.BeginErrorReadLine();
        try
        {
            await BridgeConnected.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            lock (_log)
            {
                throw new TimeoutException($"the bridge did not connect to Mosquitto (exited: {_mosquitto.HasExited}); its log:\n{_log}");
            }
        }
    }

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

    private static async Task RunAsync(string binary, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(binary, arguments) { RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{binary} {string.Join(' ', arguments)} failed: {error}");
    }
}
