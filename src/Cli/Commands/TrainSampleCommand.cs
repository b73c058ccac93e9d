using System.CommandLine;
using System.Diagnostics;
using FleetQuant.Cli.Output;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Training;
using Spectre.Console;

namespace FleetQuant.Cli.Commands;

/// <summary>
/// <c>fleetquant train-sample</c>: trains the Fashion-MNIST sample MLP and writes fashion-mlp-v1.onnx and
/// fashion-mlp-v2.onnx, reporting their test accuracy as ONNX Runtime measures it.
/// </summary>
public static class TrainSampleCommand
{
    /// <summary>Size of the labelled evaluation subset committed under samples/data.</summary>
    public const int EvalSubsetCount = 1000;

    private static readonly long[] FlatImage = [784];

    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Directory to write fashion-mlp-v1.onnx and fashion-mlp-v2.onnx into", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Epochs of initial training for v1 (v2 adds one fine-tuning epoch)", DefaultValueFactory = _ => new MlpTrainingOptions().Epochs };
        var seed = new Option<int>("--seed") { Description = "Seed for initialisation and shuffling; the same seed gives byte-identical models", DefaultValueFactory = _ => new MlpTrainingOptions().Seed };
        var data = new Option<string>("--data") { Description = "Directory holding the Fashion-MNIST IDX files (train-* and t10k-*)", DefaultValueFactory = _ => SampleData.DebianFashionMnistDirectory };

        var evalSubset = new Option<string?>("--eval-subset") { Description = $"Also write the first {EvalSubsetCount} test images and labels as a gzip IDX pair into this directory" };

        var command = new Command("train-sample", "Train the Fashion-MNIST sample model (v1, and v2 = v1 fine-tuned) and write both as ONNX")
        {
            output, epochs, seed, data, evalSubset,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new MlpTrainingOptions { Epochs = parse.GetValue(epochs), Seed = parse.GetValue(seed) };
            var dataDirectory = parse.GetValue(data)!;
            if (parse.GetValue(evalSubset) is { } subsetDirectory)
            {
                var written = EvalSubset.Write(TestImagesPath(dataDirectory), EvalSubsetCount, subsetDirectory, SampleData.EvalSetPrefix);
                AnsiConsole.MarkupLine($"evaluation subset: {EvalSubsetCount} labelled test images in {Markup.Escape(written)}");
            }
            Run(parse.GetValue(output)!, dataDirectory, options, cancellationToken);
            return Task.FromResult(0);
        });
        return command;
    }

    private static void Run(string outDirectory, string dataDirectory, MlpTrainingOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var train = LoadSplit(dataDirectory, "train");
        var test = LoadSplit(dataDirectory, "t10k");
        Consoles.Progress.MarkupLine($"[grey]Fashion-MNIST: {train.Count} training and {test.Count} test images from {Markup.Escape(dataDirectory)}[/]");

        var clock = Stopwatch.StartNew();
        var progress = new SyncProgress<EpochReport>(r => Consoles.Progress.MarkupLine(
            $"{r.Stage} epoch {r.Epoch}/{r.Epochs}  loss {Consoles.Number(r.MeanLoss, "0.0000")}  test accuracy {Consoles.Percent(r.TestAccuracy ?? 0)}  [grey]({Consoles.Number(clock.Elapsed.TotalSeconds, "0")} s)[/]"));
        var models = FashionSampleModels.Train(train, test, options, progress, cancellationToken);

        Directory.CreateDirectory(outDirectory);
        var v1Path = Path.Combine(outDirectory, SampleData.FashionMlpV1);
        var v2Path = Path.Combine(outDirectory, SampleData.FashionMlpV2);
        WriteAtomically(v1Path, models.V1);
        WriteAtomically(v2Path, models.V2);

        var table = new Table().AddColumns("model", "bytes", "test accuracy (ONNX Runtime)");
        table.AddRow(Markup.Escape(Path.GetFileName(v1Path)), models.V1.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Consoles.Percent(OnnxClassifierAccuracy.Measure(models.V1, test)));
        table.AddRow(Markup.Escape(Path.GetFileName(v2Path)), models.V2.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Consoles.Percent(OnnxClassifierAccuracy.Measure(models.V2, test)));
        AnsiConsole.Write(table);
    }

    private static EvalSet LoadSplit(string directory, string split) => EvalSetFile.Load(SplitPath(directory, split), FlatImage);

    private static string TestImagesPath(string directory) => SplitPath(directory, "t10k");

    private static string SplitPath(string directory, string split)
    {
        var images = Path.Combine(directory, $"{split}-images-idx3-ubyte.gz");
        return File.Exists(images) ? images
            : File.Exists(images[..^3]) ? images[..^3]
            : throw new FileNotFoundException($"Fashion-MNIST {split} set not found in {directory}; install it with 'apt-get install dataset-fashion-mnist' or pass --data <dir>");
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
