using System.Globalization;
using FleetQuant.Cli.Output;
using FleetQuant.Compression.Planning;
using Spectre.Console;

namespace FleetQuant.Demo;

/// <summary>The demo's closing tables: the fleet by class and recipe, accuracy per recipe, bytes per rollout, the totals.</summary>
public static class DemoTables
{
    public static void Print(DemoReport report)
    {
        var fleet = new Table().Title("fleet: devices per class and recipe").AddColumn("class").AddColumn("recipe").AddColumn(new TableColumn("devices").RightAligned());
        foreach (var group in report.Fleet)
        {
            fleet.AddRow(Esc(group.HardwareClass), Esc(group.Recipe), N(group.Devices));
        }
        Consoles.Out.Write(fleet);

        var recipes = new Table().Title("recipes running (last version's ladder)").AddColumn("recipe").AddColumn(new TableColumn("devices").RightAligned())
            .AddColumn(new TableColumn("wire bytes").RightAligned()).AddColumn(new TableColumn("accuracy").RightAligned()).AddColumn(new TableColumn("Δ accuracy").RightAligned());
        foreach (var recipe in report.Recipes)
        {
            recipes.AddRow(Esc(recipe.RecipeId), N(recipe.Devices), N(recipe.WireBytes),
                double.IsNaN(recipe.Accuracy) ? "-" : Consoles.Percent(recipe.Accuracy),
                double.IsNaN(recipe.AccuracyDrop) ? "-" : HumanUnits.AccuracyChange(recipe.AccuracyDrop));
        }
        Consoles.Out.Write(recipes);

        var rollouts = new Table().Title("rollouts: bytes sent vs a full FP32 download per update").AddColumn("rollout").AddColumn("state")
            .AddColumn(new TableColumn("ok / failed / unfit").RightAligned()).AddColumn(new TableColumn("full / delta").RightAligned())
            .AddColumn(new TableColumn("sent").RightAligned()).AddColumn(new TableColumn("FP32 baseline").RightAligned())
            .AddColumn(new TableColumn("saved").RightAligned()).AddColumn(new TableColumn("time").RightAligned());
        foreach (var r in report.Rollouts)
        {
            rollouts.AddRow(Esc($"{r.RolloutId} ({r.ModelId} v{r.Version})"), Esc(r.State.ToLowerInvariant()), $"{N(r.Succeeded)} / {N(r.Failed)} / {N(r.Unfit)}",
                $"{N(r.FullTransfers)} / {N(r.DeltaTransfers)}", Consoles.Bytes(r.BytesSent), Consoles.Bytes(r.BytesBaseline), Ratio(r.SavedRatio),
                Consoles.Number(r.Seconds, "0.0") + " s");
        }
        rollouts.AddRow("[bold]total[/]", "", "", "", $"[bold]{Consoles.Bytes(report.BytesSent)}[/]", $"[bold]{Consoles.Bytes(report.BytesBaseline)}[/]",
            $"[bold]{Ratio(report.SavedRatio)}[/]", "");
        Consoles.Out.Write(rollouts);

        Consoles.Out.MarkupLine(
            $"[bold]{N(report.Updated)}[/] of {N(report.Devices)} devices run the last version, {N(report.Failed)} failed; " +
            $"bandwidth saved [bold green]{Consoles.Bytes(report.BytesBaseline - report.BytesSent)}[/] ({Ratio(report.SavedRatio)} less than FP32); wall time {Consoles.Number(report.WallSeconds, "0.0")} s");
    }

    private static string Ratio(double ratio) => Consoles.Number(ratio, "0.0") + "x";

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Esc(string text) => Markup.Escape(text);
}
