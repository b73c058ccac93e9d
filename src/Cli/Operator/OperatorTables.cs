using System.Globalization;
using FleetQuant.Api.Contracts;
using FleetQuant.Cli.Output;
using FleetQuant.Compression.Planning;
using Spectre.Console;

namespace FleetQuant.Cli.Operator;

/// <summary>Human output of the operator verbs: Spectre tables on stdout.</summary>
public static class OperatorTables
{
    public static void Models(IReadOnlyList<ModelView> models)
    {
        var table = new Table().AddColumn("model").AddColumn(new TableColumn("versions").RightAligned())
            .AddColumn("latest").AddColumn("status").AddColumn(new TableColumn("FP32 bytes").RightAligned()).AddColumn("uploaded");
        foreach (var model in models)
        {
            var latest = model.Versions.Count > 0 ? model.Versions[^1] : null;
            table.AddRow(Esc(model.ModelId), model.Versions.Count.ToString(CultureInfo.InvariantCulture), Esc(latest?.Version ?? ""),
                latest is null ? "" : Status(latest.Status), latest?.Source.Bytes.ToString("N0", CultureInfo.InvariantCulture) ?? "",
                latest?.UploadedAt.ToString("u", CultureInfo.InvariantCulture) ?? "");
        }
        Consoles.Out.Write(table);
    }

    public static void Versions(ModelView model)
    {
        var table = new Table().Title(Esc(model.ModelId)).AddColumn("version").AddColumn("status")
            .AddColumn(new TableColumn("FP32 bytes").RightAligned()).AddColumn(new TableColumn("recipes").RightAligned())
            .AddColumn(new TableColumn("artifacts").RightAligned()).AddColumn("eval set").AddColumn("uploaded").AddColumn("note");
        foreach (var v in model.Versions)
        {
            table.AddRow(Esc(v.Version), Status(v.Status), v.Source.Bytes.ToString("N0", CultureInfo.InvariantCulture),
                (v.Ladder?.Rungs.Count ?? 0).ToString(CultureInfo.InvariantCulture), v.Artifacts.Count.ToString(CultureInfo.InvariantCulture),
                v.EvalSetHash is null ? "generated" : "labelled", v.UploadedAt.ToString("u", CultureInfo.InvariantCulture), Esc(v.FailureReason ?? ""));
        }
        Consoles.Out.Write(table);
    }

    /// <summary>A version's ladder: one row per recipe, Pareto entries starred, FP32 first.</summary>
    public static void Ladder(string title, LadderInfo ladder)
    {
        var metric = ladder.Metric switch
        {
            "accuracy" => "accuracy",
            "top1Agreement" => "top-1 agr.",
            _ => "fidelity",
        };
        foreach (var input in ladder.Inputs ?? [])
        {
            Consoles.Out.MarkupLine($"[dim]{Esc($"input {input.Name}: {input.ElementType}[{string.Join(",", input.SampleShape)}] {input.Source}{(input.Hint is null ? "" : $" ({input.Hint})")}")}[/]");
        }
        if (ladder.Outputs is { Count: > 0 } outputs)
        {
            Consoles.Out.MarkupLine($"[dim]{Esc("outputs: " + string.Join(", ", outputs.Select(o => $"{o.Name} ({o.Kind})")))}[/]");
        }
        var table = new Table().Title(Esc(title)).AddColumn("recipe")
            .AddColumn(new TableColumn("bits").RightAligned()).AddColumn(new TableColumn("pruned").RightAligned())
            .AddColumn(new TableColumn("wire bytes").RightAligned()).AddColumn(new TableColumn("vs FP32").RightAligned())
            .AddColumn(new TableColumn("runtime").RightAligned()).AddColumn(new TableColumn(metric).RightAligned())
            .AddColumn(new TableColumn("Δ accuracy").RightAligned()).AddColumn(new TableColumn("max abs err").RightAligned())
            .AddColumn(new TableColumn("latency ms").RightAligned()).AddColumn("pareto");
        var b = ladder.Baseline;
        table.AddRow("[dim]FP32 ONNX[/]", "32", "", b.WireBytes.ToString("N0", CultureInfo.InvariantCulture), "1.0x",
            Consoles.Bytes(b.RuntimeBytes), Consoles.Percent(b.Accuracy), "", "", Consoles.Number(b.LatencyMs, "0.000"), "");
        foreach (var r in ladder.Rungs)
        {
            if (r.Error is not null)
            {
                table.AddRow(Esc(r.Id), "", "", "", "", "", "", "", "", "", $"[red]failed: {Esc(r.Error)}[/]");
                continue;
            }
            table.AddRow(Esc(r.Id), r.WeightBits.ToString(CultureInfo.InvariantCulture), r.PruneRatio > 0 ? Consoles.Percent(r.PruneRatio) : "",
                r.WireBytes.ToString("N0", CultureInfo.InvariantCulture), Consoles.Number((double)b.WireBytes / Math.Max(1, r.WireBytes), "0.0") + "x",
                Consoles.Bytes(r.RuntimeBytes), Consoles.Percent(r.Accuracy), HumanUnits.AccuracyChange(r.AccuracyDrop),
                r.MaxAbsError is { } m ? Consoles.Number(m, "0.####") : "", Consoles.Number(r.LatencyMs, "0.000"), r.Pareto ? "[green]*[/]" : "");
        }
        Consoles.Out.Write(table);
        Consoles.Out.MarkupLine($"[dim]{Esc(ladder.Metric)} (worst output); vs FP32 = FP32 ONNX bytes / wire bytes; * = Pareto front[/]");
    }

    public static void Rollouts(IReadOnlyList<RolloutView> rollouts)
    {
        var table = new Table().AddColumn("rollout").AddColumn("model").AddColumn("state").AddColumn(new TableColumn("wave").RightAligned())
            .AddColumn(new TableColumn("targets").RightAligned()).AddColumn(new TableColumn("succeeded").RightAligned())
            .AddColumn(new TableColumn("failed").RightAligned()).AddColumn(new TableColumn("unfit").RightAligned())
            .AddColumn(new TableColumn("planned").RightAligned()).AddColumn("reason");
        foreach (var r in rollouts)
        {
            table.AddRow(Esc(r.RolloutId), Esc(r.Spec is null ? "" : $"{r.Spec.ModelId} v{r.Spec.Version}"), State(r.State),
                $"{Math.Min(r.CurrentWave + 1, r.WaveCount)}/{r.WaveCount}", r.Targets.ToString(CultureInfo.InvariantCulture),
                Count(r, DeviceRolloutStatus.Succeeded), Count(r, DeviceRolloutStatus.Failed), Count(r, DeviceRolloutStatus.Unfit),
                Consoles.Bytes(r.PlannedBytes), Esc(r.Reason ?? r.Hold ?? ""));
        }
        Consoles.Out.Write(table);
    }

    public static void Rollout(RolloutView r)
    {
        var grid = Fields();
        Field(grid, "rollout", r.RolloutId);
        if (r.Spec is { } spec)
        {
            Field(grid, "model", $"{spec.ModelId} v{spec.Version}");
            Field(grid, "targets", $"{r.Targets} ({Selector(spec.Selector)})");
            Field(grid, "waves", string.Join(", ", spec.Waves.Select(w => w.Count is { } c ? $"{c} devices" : $"{Consoles.Number(w.Percent ?? 0)}%")));
            Field(grid, "thresholds", $"success {Consoles.Percent(spec.SuccessThreshold)}, failure {Consoles.Percent(spec.FailureThreshold)} → {spec.OnFailure.ToString().ToLowerInvariant()}");
        }
        grid.AddRow(new Markup("[bold]state[/]"), new Markup(State(r.State)));
        Field(grid, "wave", $"{Math.Min(r.CurrentWave + 1, r.WaveCount)} of {r.WaveCount}");
        Field(grid, "devices", string.Join(", ", Enum.GetValues<DeviceRolloutStatus>().Select(s => $"{s.ToString().ToLowerInvariant()} {Count(r, s)}")));
        Field(grid, "planned bytes", $"{Consoles.Bytes(r.PlannedBytes)} ({r.PlannedBytes.ToString("N0", CultureInfo.InvariantCulture)} B)");
        if (r.Hold is not null)
        {
            Field(grid, "waiting for", r.Hold);
        }
        if (r.Reason is not null)
        {
            Field(grid, "reason", r.Reason);
        }
        Consoles.Out.Write(grid);
    }

    public static void Devices(IReadOnlyList<DeviceSummary> devices, int total)
    {
        var table = new Table().AddColumn("device").AddColumn("class").AddColumn("state").AddColumn("model").AddColumn("recipe").AddColumn("tags");
        foreach (var d in devices)
        {
            table.AddRow(Esc(d.DeviceId), Esc(d.HardwareClass), Esc(d.State.ToString()),
                Esc(d.ModelId is null ? "" : $"{d.ModelId} v{d.Version}"), Esc(d.RecipeId ?? ""),
                Esc(string.Join(", ", d.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"))));
        }
        Consoles.Out.Write(table);
        Consoles.Out.MarkupLine($"[dim]{devices.Count} shown; {total} match the tag/class selection (state and recipe filter the page)[/]");
    }

    public static void Device(DeviceView d)
    {
        var grid = Fields();
        Field(grid, "device", d.DeviceId);
        Field(grid, "state", d.State.ToString());
        Field(grid, "last seen", d.LastSeen?.ToString("u", CultureInfo.InvariantCulture) ?? "never");
        if (d.Profile is { } p)
        {
            Field(grid, "class", $"{p.HardwareClass} ({p.Arch}, {p.CpuCores} cores{(p.CpuFeatures.Count > 0 ? ", " + string.Join(" ", p.CpuFeatures) : "")})");
            Field(grid, "memory", $"RAM {Consoles.Bytes(p.RamBytes)}, model budget {Consoles.Bytes(p.ModelMemoryBudgetBytes)}, storage {Consoles.Bytes(p.StorageBytes)}");
            Field(grid, "link", $"{Consoles.Number(p.BandwidthBitsPerSecond / 1e6, "0.###")} Mbit/s" +
                (p.DataCapBytesPerMonth is { } cap ? $", cap {Consoles.Bytes(cap)}/month" : ""));
            Field(grid, "tags", string.Join(", ", p.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}")));
        }
        if (d.Desired is { } desired)
        {
            Field(grid, "desired", $"{desired.ModelId} v{desired.Version} {desired.RecipeId} (release {desired.Release}, rollout {desired.RolloutId ?? "-"})");
            Field(grid, "transfer", desired.Delta is { } delta
                ? $"delta {Consoles.Bytes(delta.DeltaBytes)} (full artifact {Consoles.Bytes(desired.ArtifactBytes)})"
                : $"full {Consoles.Bytes(desired.ArtifactBytes)}");
            Field(grid, "artifact", desired.ArtifactHash);
        }
        Field(grid, "running", d.CurrentArtifactHash ?? "nothing yet");
        if (d.LastPlan is { } plan)
        {
            Field(grid, "plan", plan.Unfit ? $"unfit: {plan.Reason}" : $"{plan.RecipeId} {plan.Transfer?.ToString().ToLowerInvariant()}, {Consoles.Bytes(plan.Bytes)}, ~{Consoles.Number(plan.Seconds, "0.0")} s: {plan.Reason}");
        }
        var t = d.Telemetry;
        Field(grid, "telemetry", t.Reports == 0 ? "none yet" :
            $"{t.Inferences} inferences, {t.Errors} errors, p50 {Ms(t.LatencyP50Ms)}, p95 {Ms(t.LatencyP95Ms)}" +
            (t.MeanTop1Confidence is { } c ? $", confidence {Consoles.Number(c, "0.000")}" : ""));
        Consoles.Out.Write(grid);
        if (d.History.Count > 0)
        {
            var history = new Table().Title("history").AddColumn(new TableColumn("release").RightAligned()).AddColumn("model").AddColumn("recipe")
                .AddColumn("rollout").AddColumn("result").AddColumn("at");
            foreach (var h in d.History)
            {
                history.AddRow(h.Release.ToString(CultureInfo.InvariantCulture), Esc($"{h.ModelId} v{h.Version}"), Esc(h.RecipeId), Esc(h.RolloutId ?? ""),
                    h.Succeeded ? "[green]ok[/]" : $"[red]{Esc(h.Error ?? "failed")}[/]", h.At.ToString("u", CultureInfo.InvariantCulture));
            }
            Consoles.Out.Write(history);
        }
    }

    public static string State(RolloutState state) => state switch
    {
        RolloutState.Completed => "[green]completed[/]",
        RolloutState.Running => "[blue]running[/]",
        RolloutState.Paused => "[yellow]paused[/]",
        RolloutState.Aborted or RolloutState.RolledBack => $"[red]{state.ToString().ToLowerInvariant()}[/]",
        _ => state.ToString().ToLowerInvariant(),
    };

    public static string Count(RolloutView r, DeviceRolloutStatus status) =>
        (r.Counts.TryGetValue(status, out var n) ? n : 0).ToString(CultureInfo.InvariantCulture);

    private static string Status(ModelStatus status) => status switch
    {
        ModelStatus.Ready => "[green]ready[/]",
        ModelStatus.Failed => "[red]failed[/]",
        _ => "[yellow]analysing[/]",
    };

    private static string Selector(TargetSelector s)
    {
        var parts = s.Tags.Select(t => $"tag {t.Key}={t.Value}").Concat(s.HardwareClasses.Select(c => $"class {c}"));
        if (s.DeviceIds.Count > 0)
        {
            parts = parts.Append($"{s.DeviceIds.Count} listed devices");
        }
        var text = string.Join(", ", parts);
        return text.Length == 0 ? "whole fleet" : text;
    }

    private static string Ms(double? value) => value is { } v ? Consoles.Number(v, "0.00") + " ms" : "-";

    private static Grid Fields() => new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();

    private static void Field(Grid grid, string name, string value) => grid.AddRow(new Markup($"[bold]{Esc(name)}[/]"), new Text(value));

    private static string Esc(string text) => Markup.Escape(text);
}
