using FleetQuant.TestSupport;

namespace FleetQuant.Cli.Tests.Operator;

/// <summary>
/// Runs the built fleetquant executable with a deadline and without any FLEETQUANT_* variables or user config file
/// from the machine, so a test sees only the server and token it passes.
/// </summary>
internal static class OperatorCli
{
    public static Task<ProcessResult> RunAsync(TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        DotnetProcess.RunAsync("fleetquant.dll", timeout, args, start =>
        {
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("FLEETQUANT_", StringComparison.Ordinal) && k != "FLEETQUANT_SAMPLES").ToList())
            {
                start.Environment.Remove(name);
            }
            start.Environment["FLEETQUANT_CONFIG"] = "/nonexistent/fleetquant-config.json";
            foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            {
                start.Environment[name] = value;
            }
        });

    public static Task<ProcessResult> RunAsync(params string[] args) => RunAsync(TimeSpan.FromMinutes(2), null, args);
}
