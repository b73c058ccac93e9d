using FleetQuant.Compression.Artifacts;
using System.CommandLine;
using FleetQuant.Cli.Output;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;
using Spectre.Console;

namespace FleetQuant.Cli.Commands;

/// <summary>
/// <c>fleetquant compress --model in.onnx --recipe &lt;id|recipe.json&gt; --out out.onnx</c>: writes the compressed
/// model as runnable ONNX (checked by loading and running it), prints its wire bytes and what was kept exact.
/// </summary>
public static class CompressCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "ONNX model to compress", Required = true };
        var recipe = new Option<string>("--recipe") { Description = "Recipe id (e.g. p50+q4b32a) or recipe JSON file", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the compressed ONNX model", Required = true };
        var data = new DataOptions("Calibration data for steps that measure activations", "Samples to take from --data (default 256)");
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text" };
        var command = new Command("compress", "Compress a model with a recipe and write runnable ONNX") { model, recipe, output, json };
        data.AddTo(command);
        command.SetAction(parse =>
        {
            var source = EvalSets.LoadModel(parse.GetValue(model)!);
            var parsed = Recipe.Parse(parse.GetValue(recipe)!);
            // Without --data, the generated calibration inputs the ladder measured the recipe with.
            var calibration = data.LoadCalibration(parse, source, parse.GetValue(data.Samples) ?? GeneratedInputs.CalibrationSamples)
                ?? GeneratedInputs.ForCalibration(OnnxModelFile.Serialize(source), data.Hints(parse));
            var compressed = ModelCompressor.Compress(source, parsed, calibration);
            var bytes = OnnxModelFile.Serialize(compressed.Model);
            CheckRuns(compressed.Model, bytes, calibration ?? TryGenerate(parse, data, compressed.Model));

            var outPath = parse.GetValue(output)!;
            OnnxModelFile.Save(compressed.Model, outPath);
            var result = new CompressResult(parsed.Id, outPath, OnnxModelFile.Serialize(source).LongLength, bytes.LongLength,
                ArtifactWriter.Pack(compressed).LongLength, compressed.ChangesNothing, compressed.Notes);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(CliJson.Serialize(result));
            }
            else
            {
                Print(result);
            }
            return 0;
        });
        return command;
    }

    /// <summary>Every written model must run in ONNX Runtime: one sample of the data, or one generated from the hints, proves it.</summary>
    private static void CheckRuns(ModelProto model, byte[] bytes, EvalSet? sample)
    {
        if (sample is not null)
        {
            new ModelEvaluator().CheckRuns(bytes, sample.Take(1));
        }
    }

    /// <summary>One generated sample, or null (said on stderr) when the inputs cannot be generated without more hints.</summary>
    private static EvalSet? TryGenerate(ParseResult parse, DataOptions data, ModelProto model)
    {
        try
        {
            return EvalSets.Generate(model, 1, data.Hints(parse));
        }
        catch (OnnxModelException ex)
        {
            Console.Error.WriteLine($"not run in ONNX Runtime: {ex.Message}");
            return null;
        }
    }

    private static void Print(CompressResult result)
    {
        Consoles.Out.MarkupLine($"recipe [bold]{Markup.Escape(result.Recipe)}[/] → {Markup.Escape(result.Out)}");
        Consoles.Out.MarkupLine($"ONNX {result.SourceOnnxBytes:N0} B → {result.OnnxBytes:N0} B; wire bytes (artifact): [bold]{result.WireBytes:N0}[/] ({Consoles.Number((double)result.SourceOnnxBytes / Math.Max(1, result.WireBytes), "0.0")}x smaller than the FP32 ONNX)");
        if (result.ChangesNothing)
        {
            Consoles.Out.MarkupLine("[yellow]the recipe changed nothing: no tensor could be compressed or pruned (see why below)[/]");
        }
        var table = new Table().AddColumn("tensor").AddColumn("action").AddColumn("detail");
        foreach (var note in result.Tensors)
        {
            table.AddRow(Markup.Escape(note.Tensor), note.Action.ToString(), Markup.Escape(note.Detail));
        }
        Consoles.Out.Write(table);
    }

    private sealed record CompressResult(string Recipe, string Out, long SourceOnnxBytes, long OnnxBytes, long WireBytes, bool ChangesNothing, IReadOnlyList<TensorNote> Tensors);
}
