using FleetQuant.TestSupport;

namespace FleetQuant.Demo.Tests;

/// <summary>Runs the built demo executable as a separate process with a deadline and captures what it prints.</summary>
internal static class DemoProcess
{
    public static Task<ProcessResult> RunAsync(TimeSpan timeout, params string[] args) => DotnetProcess.RunAsync("FleetQuant.Demo.dll", timeout, args);
}
