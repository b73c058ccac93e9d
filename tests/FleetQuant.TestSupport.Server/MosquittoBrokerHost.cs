using System.Diagnostics;
using System.Globalization;
using System.Text;
using FleetQuant.Api.Contracts;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Gateway.Mosquitto;

namespace FleetQuant.TestSupport.Server;

/// <summary>
/// The all-in-one host configured for an external broker, plus a real Mosquitto 2 (Debian's /usr/sbin/mosquitto)
/// started from the password and ACL files the Gateway generates. Subclasses say how Mosquitto runs.
/// </summary>
public abstract class MosquittoBrokerHost : AllInOneHost
{
    public const string GatewaySecret = "gateway-secret-for-mosquitto-tests";
    private const string Binary = "/usr/sbin/mosquitto";
    private readonly int _port = FreeTcpPorts.Claim();
    private readonly StringBuilder _log = new();
    private Process? _mosquitto;

    public int BrokerPort => _port;

    protected override bool WaitForBridge => false;

    /// <summary>mosquitto.conf lines beyond the listener, the credentials and the ACL.</summary>
    protected abstract IEnumerable<string> BrokerSettings { get; }

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["FleetQuant:Mqtt:Broker"] = $"127.0.0.1:{_port}";
        settings["FleetQuant:Mqtt:GatewaySecret"] = GatewaySecret;
    }

    /// <summary>Runs once the password and ACL files are written (mode 0600), before Mosquitto starts.</summary>
    protected virtual Task PrepareFilesAsync(string passwords, string acl) => Task.CompletedTask;

    /// <summary>Writes the Gateway's generated files, starts Mosquitto with them and waits for the bridge to connect.</summary>
    public async Task StartBrokerAsync(MosquittoConfig config)
    {
        Assert.True(File.Exists(Binary), "Mosquitto (Debian package mosquitto) is needed for the external-broker tests");
        var (dir, passwords, acl) = await WriteFilesAsync(config);
        var conf = Path.Combine(dir, "mosquitto.conf");
        await File.WriteAllLinesAsync(conf,
        [
            $"listener {_port} 127.0.0.1",
            "allow_anonymous false",
            $"password_file {passwords}",
            $"acl_file {acl}",
            "persistence false",
            .. BrokerSettings,
        ]);
        _mosquitto = Process.Start(new ProcessStartInfo(Binary, ["-c", conf]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        // Drain the log so a chatty broker never blocks on a full pipe; it is shown when start-up fails.
        _mosquitto.ErrorDataReceived += (_, line) => { lock (_log) { _log.AppendLine(line.Data); } };
        _mosquitto.OutputDataReceived += (_, line) => { lock (_log) { _log.AppendLine(line.Data); } };
        _mosquitto.BeginErrorReadLine();
        _mosquitto.BeginOutputReadLine();
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

    /// <summary>What docs/OPERATIONS.md tells an operator to do after a secret rotation: rewrite the files, <c>kill -HUP</c>.</summary>
    public async Task ReloadBrokerAsync(MosquittoConfig config)
    {
        Assert.True(_mosquitto is { HasExited: false }, "Mosquitto is not running");
        await WriteFilesAsync(config);
        using var hup = Process.Start(new ProcessStartInfo("/bin/kill", ["-HUP", _mosquitto.Id.ToString(CultureInfo.InvariantCulture)]))!;
        await hup.WaitForExitAsync();
        Assert.Equal(0, hup.ExitCode);
    }

    private async Task<(string Directory, string Passwords, string Acl)> WriteFilesAsync(MosquittoConfig config)
    {
        var dir = Path.Combine(DataDirectory, "mosquitto");
        Directory.CreateDirectory(dir);
        var passwords = Path.Combine(dir, "fleetquant.passwd");
        var acl = Path.Combine(dir, "fleetquant.acl");
        await File.WriteAllTextAsync(passwords, config.PasswordFile);
        await File.WriteAllTextAsync(acl, config.AclFile);
        if (!OperatingSystem.IsWindows())
        {
            // Mosquitto warns about (and future versions refuse) password files others can read.
            File.SetUnixFileMode(passwords, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.SetUnixFileMode(acl, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        await PrepareFilesAsync(passwords, acl);
        return (dir, passwords, acl);
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
}
