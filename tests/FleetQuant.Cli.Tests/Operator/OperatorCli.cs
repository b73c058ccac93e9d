using System.Diagnostics;

namespace FleetQuant.Cli.Tests.Operator;

/// <summary>
/// Runs the built fleetquant executable with a deadline and without any FLEETQUANT_* variables or user config file
/// from the machine, so a test sees only the server and token it passes.
/// </summary>
internal static class OperatorCli
{
    public static async Task<CliProcess.Result> RunAsync(TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fleetquant.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("FLEETQUANT_", StringComparison.Ordinal) && k != "FLEETQUANT_SAMPLES").ToList())
        {
            start.Environment.Remove(name);
        }
        start.Environment["FLEETQUANT_CONFIG"] = "/nonexistent/fleetquant-config.json";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fleetquant {string.Join(' ', args)} did not finish in {timeout}; stderr: {await stderr}");
        }
        return new CliProcess.Result(process.ExitCode, await stdout, await stderr);
    }

    public static Task<CliProcess.Result> RunAsync(params string[] args) => RunAsync(TimeSpan.FromMinutes(2), null, args);
}
