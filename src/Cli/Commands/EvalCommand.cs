using System.CommandLine;
using FleetQuant.Cli.Output;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Onnx;
using Spectre.Console;

namespace FleetQuant.Cli.Commands;

/// <summary>
/// <c>fleetquant eval --model m.onnx (--data &lt;eval set&gt; | --reference orig.onnx [--samples N]) [--json]</c>:
/// accuracy, fidelity of every output (against the reference model, or the outputs the data records), measured runtime
/// bytes and median latency.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "ONNX model to evaluate", Required = true };
        var data = new DataOptions("Evaluation set; without --reference, fidelity is against the outputs it records", "Generated samples for fidelity (default 64), or a cap on --data");
        var reference = new Option<string?>("--reference") { Description = "Original model to measure fidelity against" };
        var latencyRuns = new Option<int>("--latency-runs") { Description = "Timed single-sample runs (median reported)", DefaultValueFactory = _ => 20 };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("eval", "Measure accuracy or fidelity, runtime bytes and latency in ONNX Runtime")
        {
            model, reference, latencyRuns, json,
        };
        data.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetValue(data.Data) is null && result.GetValue(reference) is null)
            {
                result.AddError("give --data <eval set> or --reference <orig.onnx>");
            }
            if (result.GetValue(latencyRuns) < 0)
            {
                result.AddError("--latency-runs must not be negative");
            }
        });
        command.SetAction(parse =>
        {
            var modelPath = parse.GetValue(model)!;
            var candidate = EvalSets.LoadModel(modelPath);
            var referencePath = parse.GetValue(reference);
            var referenceModel = referencePath is null ? null : EvalSets.LoadModel(referencePath);
            var set = data.Load(parse, referenceModel ?? candidate);
            var evaluator = new ModelEvaluator(new EvaluatorOptions { LatencyRuns = parse.GetValue(latencyRuns) });
            var result = evaluator.Evaluate(OnnxModelFile.Serialize(candidate), set,
                referenceModel is null ? null : OnnxModelFile.Serialize(referenceModel));
            var report = new EvalReport(result.Samples, result.Accuracy, result.FidelityAgainst?.ToString().ToLowerInvariant(),
                result.Fidelity?.Top1Agreement, result.Fidelity?.MeanCosine, result.Fidelity?.MaxAbsError,
                result.Fidelity?.Outputs.Select(LadderOutputFidelity.Of).ToList(), result.RuntimeBytes, Math.Round(result.LatencyMs, 4));
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(CliJson.Serialize(report));
            }
            else
            {
                Print(modelPath, report);
            }
            return 0;
        });
        return command;
    }

    private static void Print(string modelPath, EvalReport report)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("model", Markup.Escape(modelPath));
        grid.AddRow("samples", report.Samples.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (report.Accuracy is { } accuracy)
        {
            grid.AddRow("accuracy", Consoles.Percent(accuracy));
        }
        if (report.Outputs is { } outputs)
        {
            grid.AddRow("fidelity against", report.FidelityAgainst == "recorded" ? "outputs recorded with the data" : "the reference model");
            if (report.Top1Agreement is { } agreement)
            {
                grid.AddRow("top-1 agreement (worst)", Consoles.Percent(agreement));
            }
            grid.AddRow("mean cosine (worst)", Consoles.Number(report.Cosine ?? 0, "0.000000"));
            grid.AddRow("max abs error (worst)", Consoles.Number(report.MaxAbsError ?? 0, "0.######"));
            foreach (var output in outputs)
            {
                grid.AddRow($"  output {Markup.Escape(output.Name)} ({output.Kind})", OutputFigures(output));
            }
        }
        grid.AddRow("runtime bytes", $"{report.RuntimeBytes:N0} ({Consoles.Bytes(report.RuntimeBytes)})");
        grid.AddRow("latency (median)", Consoles.Number(report.LatencyMs, "0.000") + " ms");
        Consoles.Out.Write(grid);
    }

    private static string OutputFigures(LadderOutputFidelity output) =>
        (output.Top1Agreement is { } top1 ? $"top-1 {Consoles.Percent(top1)}, " : "")
        + (output.Kind == "score" ? "" : $"cosine {Consoles.Number(output.Cosine, "0.000000")}, ") + $"max abs {Consoles.Number(output.MaxAbsError, "0.######")}, mean abs {Consoles.Number(output.MeanAbsError, "0.######")}";

    private sealed record EvalReport(int Samples, double? Accuracy, string? FidelityAgainst, double? Top1Agreement, double? Cosine, double? MaxAbsError,
        IReadOnlyList<LadderOutputFidelity>? Outputs, long RuntimeBytes, double LatencyMs);
}
