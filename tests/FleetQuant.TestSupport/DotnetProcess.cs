using System.Diagnostics;

namespace FleetQuant.TestSupport;

/// <summary>What a child process printed and how it ended.</summary>
public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr);

/// <summary>Runs a built FleetQuant program (a dll next to the test assembly) as its own process, with a deadline.</summary>
public static class DotnetProcess
{
    /// <summary>
    /// Runs <c>dotnet {dll} {args}</c>; <paramref name="configure"/> may change the environment. A run past the deadline is
    /// killed with its children and fails the test, showing what it wrote to stderr.
    /// </summary>
    public static async Task<ProcessResult> RunAsync(string dll, TimeSpan timeout, IEnumerable<string> args, Action<ProcessStartInfo>? configure = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        configure?.Invoke(start);
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
            throw new TimeoutException($"{dll} {string.Join(' ', start.ArgumentList.Skip(1))} did not finish in {timeout}; stderr: {await stderr}");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
