using System.CommandLine;
using FleetQuant.Cli.Output;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Ladders;
using Spectre.Console;

namespace FleetQuant.Cli.Commands;

/// <summary>
/// <c>fleetquant ladder --model m.onnx [--data &lt;eval set&gt;] [--samples N] [--input-shape/-value/-range NAME=…]
/// [--json out.json]</c>: measures the recipe grid (on 64 generated samples without --data), prints a table (Pareto
/// entries marked) and optionally writes the ladder JSON.
/// </summary>
public static class LadderCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "ONNX model", Required = true };
        var data = new DataOptions("Evaluation set", "Generated samples (fidelity to the original), or a cap on --data");
        var calibrationData = new Option<string?>("--calibration-data") { Description = "Calibration set for steps that calibrate (any --data format; default: generated inputs, never the evaluation set)" };
        var jsonOut = new Option<string?>("--json") { Description = "Write the ladder JSON to this file" };
        var recipes = new Option<string?>("--recipes") { Description = "Comma-separated recipe ids instead of the default grid" };
        var noMixed = new Option<bool>("--no-mixed") { Description = "Skip the sensitivity analysis and mixed-precision recipe" };
        var budget = new Option<long?>("--budget") { Description = "Wire-byte budget of the mixed-precision recipe (default: FP32 ONNX size / 10)" };
        var mixedLow = new Option<string>("--mixed-low") { Description = "Step every layer of the mixed recipe starts at", DefaultValueFactory = _ => "q2b32a" };
        var mixedHigh = new Option<string>("--mixed-high") { Description = "Step sensitive layers are raised to", DefaultValueFactory = _ => "q4b128a" };
        var latencyRuns = new Option<int>("--latency-runs") { Description = "Timed single-sample runs per recipe", DefaultValueFactory = _ => 20 };
        var command = new Command("ladder", "Measure the recipe ladder of a model and mark the Pareto front")
        {
            model, calibrationData, jsonOut, recipes, noMixed, budget, mixedLow, mixedHigh, latencyRuns,
        };
        data.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetValue(latencyRuns) < 0 || result.GetValue(budget) is <= 0)
            {
                result.AddError("--budget must be positive, --latency-runs not negative");
            }
        });
        command.SetAction((parse, cancellationToken) =>
        {
            var source = EvalSets.LoadModel(parse.GetValue(model)!);
            var set = data.Load(parse, source);
            var calibration = parse.GetValue(calibrationData) is { } calibrationPath
                ? EvalSets.Load(source, calibrationPath, GeneratedInputs.CalibrationSamples, set.Hints)
                : null;
            var options = new LadderOptions
            {
                IncludeMixedPrecision = !parse.GetValue(noMixed),
                MixedBudgetBytes = parse.GetValue(budget),
                MixedLowStep = parse.GetValue(mixedLow)!,
                MixedHighStep = parse.GetValue(mixedHigh)!,
            };
            if (parse.GetValue(recipes) is { } list)
            {
                options = options with { RecipeIds = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
            }

            var builder = new LadderBuilder(new ModelEvaluator(new EvaluatorOptions { LatencyRuns = parse.GetValue(latencyRuns) }));
            Ladder? ladder = null;
            Consoles.Progress.Progress().AutoClear(true).Start(context =>
            {
                var task = context.AddTask("baseline", maxValue: 1);
                var progress = new SyncProgress<LadderProgress>(p =>
                {
                    task.Description = Markup.Escape(p.Current);
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                });
                ladder = builder.Build(source, set, options, progress, cancellationToken, calibration);
            });

            LadderTable.Print(ladder!);
            if (parse.GetValue(jsonOut) is { } path)
            {
                var full = Path.GetFullPath(path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllText(full, ladder!.ToJson());
                Console.Error.WriteLine($"ladder JSON written to {full}");
            }
            var failed = ladder!.Recipes.Count(r => r.Failed);
            if (failed > 0)
            {
                Console.Error.WriteLine($"{failed} of {ladder.Recipes.Count} recipes failed; their errors are in the table");
            }
            return Task.FromResult(0);
        });
        return command;
    }
}
