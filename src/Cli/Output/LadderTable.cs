using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Planning;
using Spectre.Console;

namespace FleetQuant.Cli.Output;

/// <summary>Prints a ladder for people: one row per recipe, Pareto entries starred, failures with their error.</summary>
public static class LadderTable
{
    /// <summary>How each input was fed and how each output is judged, so the numbers below can be reproduced.</summary>
    private static void PrintInputs(Ladder ladder)
    {
        foreach (var input in ladder.Inputs ?? [])
        {
            // The shape's brackets are text, not markup: escape the whole line.
            var line = $"input {input.Name}: {input.ElementType}[{string.Join(",", input.SampleShape)}] {input.Source}{(input.Hint is null ? "" : $" ({input.Hint})")}";
            Consoles.Out.MarkupLine($"[dim]{Markup.Escape(line)}[/]");
        }
        if (ladder.Outputs is { Count: > 0 } outputs)
        {
            Consoles.Out.MarkupLine($"[dim]outputs: {Markup.Escape(string.Join(", ", outputs.Select(o => $"{o.Name} ({o.Kind})")))}[/]");
        }
    }

    public static void Print(Ladder ladder)
    {
        var metric = ladder.Metric switch
        {
            Ladder.AccuracyMetric => "accuracy",
            Ladder.AgreementMetric => "top-1 agr.",
            _ => "fidelity",
        };
        PrintInputs(ladder);
        var table = new Table()
            .AddColumn("recipe")
            .AddColumn(new TableColumn("bits").RightAligned())
            .AddColumn(new TableColumn("pruned").RightAligned())
            .AddColumn(new TableColumn("wire bytes").RightAligned())
            .AddColumn(new TableColumn("vs FP32").RightAligned())
            .AddColumn(new TableColumn("runtime").RightAligned())
            .AddColumn(new TableColumn(metric).RightAligned())
            .AddColumn(new TableColumn("Δ accuracy").RightAligned())
            .AddColumn(new TableColumn("cosine").RightAligned())
            .AddColumn(new TableColumn("max abs err").RightAligned())
            .AddColumn(new TableColumn("latency ms").RightAligned())
            .AddColumn("pareto");
        var b = ladder.Baseline;
        table.AddRow("[dim]FP32 ONNX[/]", "32", "", b.WireBytes.ToString("N0"), "1.0x", Consoles.Bytes(b.RuntimeBytes),
            Consoles.Percent(b.Accuracy), "", "", "", Consoles.Number(b.LatencyMs, "0.000"), "");
        foreach (var e in ladder.Recipes)
        {
            if (e.Failed)
            {
                table.AddRow(Markup.Escape(e.Id), "", "", "", "", "", "", "", "", "", "", "[red]failed[/]");
                continue;
            }
            table.AddRow(
                Markup.Escape(e.Id) + (e.Unchanged == true && e.Id != "fp32" ? " [yellow](no change)[/]" : ""),
                e.WeightBits.ToString(System.Globalization.CultureInfo.InvariantCulture),
                e.PruneRatio > 0 ? Consoles.Percent(e.PruneRatio) : "",
                e.WireBytes.ToString("N0"),
                Consoles.Number((double)b.WireBytes / Math.Max(1, e.WireBytes), "0.0") + "x",
                Consoles.Bytes(e.RuntimeBytes),
                Consoles.Percent(e.Accuracy),
                HumanUnits.AccuracyChange(e.AccuracyDrop),
                e.Cosine is { } c ? Consoles.Number(c, "0.0000") : "",
                e.MaxAbsError is { } m ? Consoles.Number(m, "0.####") : "",
                Consoles.Number(e.LatencyMs, "0.000"),
                e.Pareto ? "[green]*[/]" : "");
        }
        Consoles.Out.Write(table);
        foreach (var failed in ladder.Recipes.Where(r => r.Failed))
        {
            Consoles.Out.MarkupLine($"[red]{Markup.Escape(failed.Id)} failed:[/] {Markup.Escape(failed.Error!)}");
        }
        foreach (var partial in ladder.Recipes.Where(r => r.LeftExact is { Count: > 0 }))
        {
            Consoles.Out.MarkupLine($"[yellow]{Markup.Escape(partial.Id)} left {partial.LeftExact!.Count} weight(s) exact:[/] {Markup.Escape(string.Join("; ", partial.LeftExact.Take(3)))}{(partial.LeftExact.Count > 3 ? " …" : "")}");
        }
        Consoles.Out.MarkupLine($"[dim]{Markup.Escape(ladder.Metric)} (worst output; cosine and max abs err too); wire bytes = artifact (container) bytes, estimated within 1 %; vs FP32 = FP32 ONNX bytes / wire bytes; * = Pareto front (wire bytes vs {metric})[/]");
    }
}
