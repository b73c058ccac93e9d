using System.CommandLine;
using FleetQuant.Cli.Output;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using Spectre.Console;

namespace FleetQuant.Cli.Commands;

/// <summary>
/// <c>fleetquant eval --model m.onnx (--data &lt;eval set&gt; | --reference orig.onnx [--samples N]) [--json]</c>:
/// accuracy or fidelity, measured runtime bytes and median latency.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "ONNX model to evaluate", Required = true };
        var data = new Option<string?>("--data") { Description = "Evaluation set: .npy, .npz, ONNX test data (test_data_set_N), or IDX images (see docs/DATA_FORMATS.md)" };
        var reference = new Option<string?>("--reference") { Description = "Original model to measure fidelity against" };
        var samples = new Option<int?>("--samples") { Description = "Generated samples for fidelity (default 64), or a cap on --data" };
        var latencyRuns = new Option<int>("--latency-runs") { Description = "Timed single-sample runs (median reported)", DefaultValueFactory = _ => 20 };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("eval", "Measure accuracy or fidelity, runtime bytes and latency in ONNX Runtime")
        {
            model, data, reference, samples, latencyRuns, json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(data) is null && result.GetValue(reference) is null)
            {
                result.AddError("give --data <eval set> or --reference <orig.onnx>");
            }
            if (result.GetValue(samples) is <= 0 || result.GetValue(latencyRuns) < 0)
            {
                result.AddError("--samples must be positive and --latency-runs not negative");
            }
        });
        command.SetAction(parse =>
        {
            var modelPath = parse.GetValue(model)!;
            var candidate = EvalSets.LoadModel(modelPath);
            var referencePath = parse.GetValue(reference);
            var referenceModel = referencePath is null ? null : EvalSets.LoadModel(referencePath);
            var set = EvalSets.Load(referenceModel ?? candidate, parse.GetValue(data), parse.GetValue(samples));
            var evaluator = new ModelEvaluator(new EvaluatorOptions { LatencyRuns = parse.GetValue(latencyRuns) });
            var result = evaluator.Evaluate(OnnxModelFile.Serialize(candidate), set,
                referenceModel is null ? null : OnnxModelFile.Serialize(referenceModel));
            var report = new EvalReport(result.Samples, result.Accuracy, result.Fidelity?.Top1Agreement, result.Fidelity?.MeanCosine,
                result.Fidelity?.MaxAbsError, result.RuntimeBytes, Math.Round(result.LatencyMs, 4));
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
        if (report.Top1Agreement is { } agreement)
        {
            grid.AddRow("top-1 agreement", Consoles.Percent(agreement));
            grid.AddRow("mean cosine", Consoles.Number(report.Cosine ?? 0, "0.000000"));
            grid.AddRow("max abs error", Consoles.Number(report.MaxAbsError ?? 0, "0.######"));
        }
        grid.AddRow("runtime bytes", $"{report.RuntimeBytes:N0} ({Consoles.Bytes(report.RuntimeBytes)})");
        grid.AddRow("latency (median)", Consoles.Number(report.LatencyMs, "0.000") + " ms");
        Consoles.Out.Write(grid);
    }

    private sealed record EvalReport(int Samples, double? Accuracy, double? Top1Agreement, double? Cosine, double? MaxAbsError, long RuntimeBytes, double LatencyMs);
}
