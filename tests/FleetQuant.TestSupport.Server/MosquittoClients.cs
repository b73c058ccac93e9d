using System.Diagnostics;
using System.Text;

namespace FleetQuant.TestSupport.Server;

/// <summary>What one run of <c>mosquitto_sub</c> or <c>mosquitto_pub</c> ended with.</summary>
public sealed record ClientRun(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit {ExitCode}; stdout: '{StandardOutput.Trim()}'; stderr: '{StandardError.Trim()}'";
}

/// <summary>
/// Debian's real MQTT command-line clients (package mosquitto-clients) as processes, for checks against a broker
/// with a client that shares no code with FleetQuant or MQTTnet.
/// </summary>
public static class MosquittoClients
{
    public const string Sub = "/usr/bin/mosquitto_sub";
    public const string Pub = "/usr/bin/mosquitto_pub";
    private const string StdBuf = "/usr/bin/stdbuf";
    private static readonly TimeSpan ProcessLimit = TimeSpan.FromSeconds(30);

    /// <summary>The connection arguments of one device (or any account): host, port, MQTT version, client id, user, password.</summary>
    public static List<string> Connection(string host, int port, string version, string clientId, string user, string password) =>
        ["-h", host, "-p", port.ToString(), "-V", version, "-i", clientId, "-u", user, "-P", password];

    /// <summary>Runs the client to completion; the client's own <c>-W</c>/<c>-C</c> options should end it well before the limit.</summary>
    public static async Task<ClientRun> RunAsync(string binary, IEnumerable<string> arguments)
    {
        Assert.True(File.Exists(binary), $"{binary} is missing: install the Debian package mosquitto-clients");
        using var process = Start(binary, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(ProcessLimit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(binary)} {string.Join(' ', arguments)} did not end within {ProcessLimit.TotalSeconds:0} s");
        }
        return new ClientRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Starts a long-running client (e.g. <c>mosquitto_sub -d</c>) whose output the test reads line by line as it is
    /// written: C stdio buffers a pipe fully, so the client runs under coreutils' <c>stdbuf -oL</c>.
    /// </summary>
    /// <summary>Reads a running client's output until a line contains <paramref name="marker"/> (20 s deadline).</summary>
    public static async Task WaitForLineAsync(StreamReader output, string marker)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await output.ReadLineAsync(deadline.Token) is { } line)
        {
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                return;
            }
        }
        throw new InvalidOperationException($"the client ended before printing {marker}");
    }

    public static Process StartLineBuffered(string binary, IEnumerable<string> arguments)
    {
        Assert.True(File.Exists(binary), $"{binary} is missing: install the Debian package mosquitto-clients");
        return Start(StdBuf, ["-oL", binary, .. arguments]);
    }

    private static Process Start(string binary, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {binary}");
    }
}
