using System.Diagnostics;
using System.Globalization;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Training;
using FleetQuant.Compression.Training.Graph;
using Xunit.Abstractions;

namespace FleetQuant.Compression.Tests.Training.Graph;

/// <summary>
/// Measures the trainer's throughput (docs/BENCHMARKS.md, "Graph trainer"). Runs one short epoch by default;
/// FQ_TRAINER_BENCH_SAMPLES sets how many Fashion-MNIST training images it trains on, FQ_TRAINER_BENCH_EPOCHS how many
/// epochs, after which it reports the test-set accuracy (the full test set when Debian's package is installed).
/// </summary>
public sealed class GraphTrainerThroughputTests(ITestOutputHelper output)
{
    private static EvalSet TrainingImages()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("FQ_TRAINER_BENCH_SAMPLES"), CultureInfo.InvariantCulture, out var n) ? n : 1280;
        var train = Path.Combine(SampleData.DebianFashionMnistDirectory, "train-images-idx3-ubyte.gz");
        var path = File.Exists(train) ? train : SampleData.FindCommittedEvalSet();
        var set = EvalSetFile.Load(path, [784]);
        return set.Take(Math.Min(count, set.Count));
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("lenet")]
    public void Throughput_OneEpoch(string kind)
    {
        var train = TrainingImages();
        var model = kind == "mlp" ? ClassifierGraphs.Mlp([784, 256, 128, 10], seed: 1) : ClassifierGraphs.LeNet5(seed: 1);
        var trainer = new GraphTrainer(TrainableGraph.Build(model), new AdamWOptimizer(1e-3f, 1e-4f), new GraphTrainingOptions { BatchSize = 64 });

        var epochs = int.TryParse(Environment.GetEnvironmentVariable("FQ_TRAINER_BENCH_EPOCHS"), CultureInfo.InvariantCulture, out var e) ? e : 1;
        var loss = 0.0;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            loss = trainer.TrainEpoch(train, new SoftmaxCrossEntropyLoss(train.Labels!));
        }

        var accuracy = trainer.Accuracy(EvalSetFile.Load(SampleData.FindFashionMnistTestSet(), [784]));
        var seconds = trainer.TrainingTime.TotalSeconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"graph trainer {kind}: {epochs} × {train.Count} samples, batch 64, {seconds:0.00} s, {trainer.TrainedSamples / seconds:0} samples/s, {trainer.TrainedFlops / seconds / 1e9:0.00} GFLOP/s ({trainer.TrainedFlops / (double)trainer.TrainedSamples / 1e6:0.00} MFLOP/sample), last epoch's mean loss {loss:0.000}, test accuracy {accuracy:P2}, {Environment.ProcessorCount} cores"));
        Assert.True(double.IsFinite(loss) && loss > 0);
        Assert.Equal((long)epochs * train.Count, trainer.TrainedSamples);
    }

    /// <summary>The GEMM kernels alone at the sample MLP's first-layer shapes: the ceiling the trainer's GFLOP/s compares with.</summary>
    [Fact]
    public void Throughput_GemmKernels()
    {
        var random = new Random(1);
        float[] Random(int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f).ToArray();
        var (batch, inputs, outputs) = (64, 784, 256);
        var x = Random(batch * inputs);
        var w = Random(outputs * inputs);
        var y = new float[batch * outputs];
        var dw = new float[outputs * inputs];
        var dyT = Random(outputs * batch);
        foreach (var (name, run) in new (string, Action)[]
        {
            ("forward Y = X·Wᵀ (dot products)", () => GemmKernels.MultiplyNT(x, 0, w, 0, y, 0, batch, inputs, outputs)),
            ("weight gradient dW = dYᵀ·X (row updates)", () => GemmKernels.MultiplyNN(dyT, 0, x, 0, dw, 0, outputs, batch, inputs)),
        })
        {
            // Long enough for tiered compilation to reach its optimised code before the clock starts.
            var warmUp = Stopwatch.StartNew();
            while (warmUp.Elapsed.TotalSeconds < 0.5)
            {
                run();
            }
            var clock = Stopwatch.StartNew();
            var repeats = 0;
            while (clock.Elapsed.TotalSeconds < 1)
            {
                run();
                repeats++;
            }
            var gflops = 2.0 * batch * inputs * outputs * repeats / clock.Elapsed.TotalSeconds / 1e9;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} [{batch}×{inputs}]·[{inputs}×{outputs}]: {gflops:0.00} GFLOP/s"));
            Assert.True(gflops > 0);
        }
    }
}
