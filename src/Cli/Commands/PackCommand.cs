using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using FleetQuant.Cli.Output;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;

namespace FleetQuant.Cli.Commands;

/// <summary><c>fleetquant pack --model in.onnx --recipe id --out a.fqa</c>: compresses and writes the wire artifact.</summary>
public static class PackCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "ONNX model to compress", Required = true };
        var recipe = new Option<string>("--recipe") { Description = "Recipe id (e.g. q4b32a) or recipe JSON file", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the artifact (.fqa)", Required = true };
        var data = new DataOptions("Calibration data for steps that measure activations", "Samples to take from --data (default 256)");
        var command = new Command("pack", "Compress a model with a recipe and write its artifact") { model, recipe, output };
        data.AddTo(command);
        command.SetAction(parse =>
        {
            var source = EvalSets.LoadModel(parse.GetValue(model)!);
            var parsed = Recipe.Parse(parse.GetValue(recipe)!);
            // Without --data, the generated calibration inputs the ladder measured the recipe with.
            var calibration = data.LoadCalibration(parse, source, parse.GetValue(data.Samples) ?? GeneratedInputs.CalibrationSamples)
                ?? GeneratedInputs.ForCalibration(OnnxModelFile.Serialize(source), data.Hints(parse));
            var compressed = ModelCompressor.Compress(source, parsed, calibration);
            var clock = Stopwatch.StartNew();
            var artifact = ArtifactWriter.Pack(compressed);
            var packMs = clock.Elapsed.TotalMilliseconds;
            var outPath = parse.GetValue(output)!;
            ArtifactFiles.WriteAtomically(outPath, s =>
            {
                s.Write(artifact);
                return 0;
            });
            Console.Out.WriteLine($"packed {parsed.Id} → {outPath}: {artifact.Length} bytes, sha256 {Convert.ToHexStringLower(SHA256.HashData(artifact))}, {packMs:F0} ms");
            return 0;
        });
        return command;
    }
}
