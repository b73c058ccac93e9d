using System.CommandLine;
using System.Globalization;
using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Planning;

namespace FleetQuant.Cli.Commands;

/// <summary>
/// <c>fleetquant plan --ladder &lt;ladder.json&gt; --profile &lt;profile.json&gt; [--policy &lt;policy.json&gt;]
/// [--current &lt;recipe-id&gt; [--delta &lt;recipe=bytes&gt;]...] [--json]</c>: the recipe and transfer one device should get.
/// An unfit device is an answer, not an error: it exits 0 with the reason.
/// </summary>
public static class PlanCommand
{
    private const long MaxLadderBytes = 16 << 20;

    public static Command Create()
    {
        var ladder = new Option<string>("--ladder") { Description = "Ladder JSON of the target model version (from `ladder --json`)", Required = true };
        var profile = new Option<string>("--profile") { Description = "Device profile JSON (docs/PLANNER.md)", Required = true };
        var policy = new Option<string?>("--policy") { Description = "Plan policy JSON; defaults: 600 s, 2 pt max drop, 10 % of a data cap" };
        var current = new Option<string?>("--current") { Description = "Recipe id the device runs now" };
        var delta = new Option<string[]>("--delta") { Description = "Known delta size from the current artifact, as <recipe>=<bytes>; repeatable" };
        var json = new Option<bool>("--json") { Description = "Print JSON: {recipe, transfer, bytes, seconds, reason} or {unfit, reason}" };
        var command = new Command("plan", "Choose the recipe and transfer for one device from a model's ladder")
        {
            ladder, profile, policy, current, delta, json,
        };
        command.SetAction(parse =>
        {
            var plan = RecipePlanner.Plan(
                PlanningJson.LoadProfile(parse.GetValue(profile)!),
                LoadLadder(parse.GetValue(ladder)!),
                parse.GetValue(policy) is { } policyPath ? PlanningJson.LoadPolicy(policyPath) : PlanPolicy.Default,
                CurrentModelFrom(parse.GetValue(current), parse.GetValue(delta) ?? []));
            Console.Out.WriteLine(parse.GetValue(json) ? PlanningJson.ToJson(plan) : Describe(plan));
            return 0;
        });
        return command;
    }

    private static Ladder LoadLadder(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"ladder file not found: {path}");
        }
        if (file.Length > MaxLadderBytes)
        {
            throw new InvalidDataException($"ladder file {path} is {file.Length} bytes; a ladder is at most {MaxLadderBytes} bytes");
        }
        return Ladder.FromJson(File.ReadAllText(path));
    }

    private static CurrentModel? CurrentModelFrom(string? recipeId, string[] deltas)
    {
        if (recipeId is null)
        {
            return deltas.Length == 0 ? null : throw new ArgumentException("--delta needs --current: a delta starts from the current artifact");
        }
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in deltas)
        {
            var parts = text.Split('=', 2);
            if (parts.Length != 2 || parts[0].Length == 0
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var bytes))
            {
                throw new ArgumentException($"--delta '{text}' is not <recipe>=<bytes>, e.g. q4b32a=120000");
            }
            sizes[parts[0]] = bytes;
        }
        return new CurrentModel { RecipeId = recipeId, DeltaBytesByRecipe = sizes };
    }

    private static string Describe(Plan plan) => plan.Unfit
        ? plan.Reason
        : string.Join(Environment.NewLine,
            $"recipe    {plan.Recipe}",
            $"transfer  {(plan.Transfer == TransferKind.Delta ? "delta" : "full")}",
            $"bytes     {HumanUnits.Bytes(plan.Bytes)} ({plan.Bytes.ToString(CultureInfo.InvariantCulture)} B)",
            $"time      {HumanUnits.Seconds(plan.Seconds)}",
            $"reason    {plan.Reason}");
}
