using FleetQuant.TestSupport;

namespace FleetQuant.Cli.Tests;

/// <summary>Runs the built fleetquant executable as a separate process and captures what it prints.</summary>
public static class CliProcess
{
    public static ProcessResult Run(params string[] args) =>
        DotnetProcess.RunAsync("fleetquant.dll", TimeSpan.FromMinutes(2), args).GetAwaiter().GetResult();
}
