using FleetQuant.Compression.Ladders;
using Spectre.Console;

namespace FleetQuant.Cli.Output;

/// <summary>Prints a ladder for people: one row per recipe, Pareto entries starred, failures with their error.</summary>
public static class LadderTable
{
    public static void Print(Ladder ladder)
    {
        var metric = ladder.Metric == Ladder.AccuracyMetric ? "accuracy" : "top-1 agr.";
        var table = new Table()
            .AddColumn("recipe")
            .AddColumn(new TableColumn("bits").RightAligned())
            .AddColumn(new TableColumn("pruned").RightAligned())
            .AddColumn(new TableColumn("wire bytes").RightAligned())
            .AddColumn(new TableColumn("vs FP32").RightAligned())
            .AddColumn(new TableColumn("runtime").RightAligned())
            .AddColumn(new TableColumn(metric).RightAligned())
            .AddColumn(new TableColumn("drop").RightAligned())
            .AddColumn(new TableColumn("cosine").RightAligned())
            .AddColumn(new TableColumn("latency ms").RightAligned())
            .AddColumn("pareto");
        var b = ladder.Baseline;
        table.AddRow("[dim]FP32 ONNX[/]", "32", "", b.WireBytes.ToString("N0"), "1.0x", Consoles.Bytes(b.RuntimeBytes),
            Consoles.Percent(b.Accuracy), "", "", Consoles.Number(b.LatencyMs, "0.000"), "");
        foreach (var e in ladder.Recipes)
        {
            if (e.Failed)
            {
                table.AddRow(Markup.Escape(e.Id), "", "", "", "", "", "", "", "", "", "[red]failed[/]");
                continue;
            }
            table.AddRow(
                Markup.Escape(e.Id),
                e.WeightBits.ToString(System.Globalization.CultureInfo.InvariantCulture),
                e.PruneRatio > 0 ? Consoles.Percent(e.PruneRatio) : "",
                e.WireBytes.ToString("N0"),
                Consoles.Number((double)b.WireBytes / Math.Max(1, e.WireBytes), "0.0") + "x",
                Consoles.Bytes(e.RuntimeBytes),
                Consoles.Percent(e.Accuracy),
                Consoles.Number(e.AccuracyDrop * 100, "0.00") + " pt",
                e.Cosine is { } c ? Consoles.Number(c, "0.0000") : "",
                Consoles.Number(e.LatencyMs, "0.000"),
                e.Pareto ? "[green]*[/]" : "");
        }
        Consoles.Out.Write(table);
        foreach (var failed in ladder.Recipes.Where(r => r.Failed))
        {
            Consoles.Out.MarkupLine($"[red]{Markup.Escape(failed.Id)} failed:[/] {Markup.Escape(failed.Error!)}");
        }
        Consoles.Out.MarkupLine($"[dim]{Markup.Escape(ladder.Metric)}; wire bytes = artifact (container) bytes; vs FP32 = FP32 ONNX bytes / wire bytes; * = Pareto front (wire bytes vs {metric})[/]");
    }
}
