using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Training;
using FleetQuant.Compression.Training.Graph;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FleetQuant.Compression.Tests.Training.Graph;

public sealed class GraphTrainerTests
{
    private static readonly int[] SmallWidths = [784, 32, 16, 10];

    private static EvalSet Subset(int count) => EvalSetFile.Load(SampleData.FindCommittedEvalSet(), [784]).Take(count);

    private static Dictionary<string, GraphTensor> Feed(TrainableGraph graph, GraphTensor input) => new() { [graph.Inputs[0].Name] = input };

    private static double MeanCrossEntropy(GraphTrainer trainer, EvalSet set)
    {
        var logits = trainer.Logits(set);
        var gradient = new float[logits.Length];
        return new SoftmaxCrossEntropyLoss(set.Labels!).Compute(new GraphTensor([set.Count, 10], logits), Enumerable.Range(0, set.Count).ToArray(), gradient) / set.Count;
    }

    private static byte[] TrainSmall(int seed, EvalSet train, bool inline = false)
    {
        var graph = TrainableGraph.Build(ClassifierGraphs.Mlp(SmallWidths, seed));
        var trainer = new GraphTrainer(graph, new AdamWOptimizer(1e-3f, 1e-4f), new GraphTrainingOptions { Seed = seed, BatchSize = 32 });
        using (inline ? FixedPartitions.RunInline() : null)
        {
            trainer.TrainEpoch(train, new SoftmaxCrossEntropyLoss(train.Labels!));
        }
        return OnnxModelFile.Serialize(graph.Export());
    }

    [Fact]
    public void WholeMlp_GradientsOfTheCrossEntropy_MatchFiniteDifferences()
    {
        var graph = TrainableGraph.Build(ClassifierGraphs.Mlp([6, 5, 4, 3], seed: 2));
        var input = new GraphTensor([4, 6], OpCases.Smooth(new Random(4), [4, 6]));
        int[] labels = [0, 2, 1, 2];
        var loss = new SoftmaxCrossEntropyLoss(labels);
        var trainer = new GraphTrainer(graph, new SgdOptimizer(0.1f));
        double Loss()
        {
            var logits = graph.Forward(Feed(graph, input)).Value(trainer.LogitsName);
            return loss.Compute(logits, [0, 1, 2, 3], new float[logits.Length]) / 4;
        }

        var run = graph.Forward(Feed(graph, input));
        var logits = run.Value(trainer.LogitsName);
        var gradient = new GraphTensor(logits.Shape);
        loss.Compute(logits, [0, 1, 2, 3], gradient.Data);
        graph.ZeroGradients();
        graph.Backward(run, trainer.LogitsName, gradient);

        GradientCheck.Compare(graph, Loss, samplesPerParameter: 30, step: 1e-3);
    }

    [Fact]
    public void WholeCnn_GradientsOfTheDistillationLoss_MatchFiniteDifferences()
    {
        // LeNet with its kinks smoothed (Tanh for Relu, AveragePool for MaxPool): thousands of activations sit within a
        // finite-difference step of a kink otherwise. The kinked ops are checked one by one.
        var model = ClassifierGraphs.LeNet5(seed: 3);
        foreach (var node in model.Graph.Node)
        {
            node.OpType = node.OpType switch { "Relu" => "Tanh", "MaxPool" => "AveragePool", var op => op };
        }
        var graph = TrainableGraph.Build(model);
        var set = Subset(2);
        var input = new GraphTensor([2, 1, 28, 28], set.Data.AsSpan(0, 2 * 784).ToArray());
        var loss = new DistillationLoss(OpCases.Smooth(new Random(6), [2, 10]).Select(v => v * 4).ToArray(), 10, temperature: 2f);
        var trainer = new GraphTrainer(graph, new SgdOptimizer(0.1f));
        double Loss()
        {
            var logits = graph.Forward(Feed(graph, input)).Value(trainer.LogitsName);
            return loss.Compute(logits, [0, 1], new float[logits.Length]) / 2;
        }

        var run = graph.Forward(Feed(graph, input));
        var logits = run.Value(trainer.LogitsName);
        var gradient = new GraphTensor(logits.Shape);
        loss.Compute(logits, [0, 1], gradient.Data);
        graph.ZeroGradients();
        graph.Backward(run, trainer.LogitsName, gradient);

        GradientCheck.Compare(graph, Loss, samplesPerParameter: 12, step: 1e-3);
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(4f)]
    public void Losses_GradientsMatchFiniteDifferences(float temperature)
    {
        var logits = new GraphTensor([3, 5], OpCases.Smooth(new Random(8), [3, 5]).Select(v => v * 3).ToArray());
        var teacher = OpCases.Smooth(new Random(9), [3, 5]).Select(v => v * 5).ToArray();
        ITrainingLoss[] losses = [new SoftmaxCrossEntropyLoss([4, 0, 2]), new DistillationLoss(teacher, 5, temperature)];
        int[] indices = [0, 1, 2];
        foreach (var loss in losses)
        {
            var gradient = new float[15];
            loss.Compute(logits, indices, gradient);
            for (var i = 0; i < 15; i++)
            {
                var original = logits.Data[i];
                logits.Data[i] = original + 1e-2f;
                var plus = loss.Compute(logits, indices, new float[15]) / 3;
                logits.Data[i] = original - 1e-2f;
                var minus = loss.Compute(logits, indices, new float[15]) / 3;
                logits.Data[i] = original;
                var numeric = (plus - minus) / ((double)(original + 1e-2f) - (original - 1e-2f));
                Assert.True(Math.Abs(gradient[i] - numeric) <= GradientCheck.Tolerance * Math.Max(1, Math.Abs(numeric)), $"{loss.GetType().Name} T={temperature} [{i}]: analytic {gradient[i]}, numeric {numeric}");
            }
        }
    }

    [Fact]
    public void Distillation_ToItsOwnTargets_HasZeroLossAndGradient()
    {
        var logits = new GraphTensor([2, 4], [1f, -2f, 0.5f, 3f, 0f, 0f, 1f, -1f]);
        var gradient = new float[8];

        var loss = new DistillationLoss((float[])logits.Data.Clone(), 4, temperature: 3f).Compute(logits, [0, 1], gradient);

        Assert.Equal(0, loss, 6);
        Assert.All(gradient, g => Assert.Equal(0f, g, 6));
    }

    [Theory]
    [InlineData("adamw")]
    [InlineData("sgd")]
    public void TrainEpoch_OnFewHundredSamples_LowersTheLoss(string optimizer)
    {
        var train = Subset(400);
        var graph = TrainableGraph.Build(ClassifierGraphs.Mlp(SmallWidths, seed: 3));
        IOptimizer chosen = optimizer == "sgd" ? new SgdOptimizer(0.05f, momentum: 0.9f, weightDecay: 1e-4f) : new AdamWOptimizer(1e-3f, 1e-4f);
        var trainer = new GraphTrainer(graph, chosen, new GraphTrainingOptions { Seed = 3, BatchSize = 32 });
        var before = MeanCrossEntropy(trainer, train);

        trainer.TrainEpoch(train, new SoftmaxCrossEntropyLoss(train.Labels!));

        var after = MeanCrossEntropy(trainer, train);
        Assert.True(after < before * 0.8, $"{optimizer}: loss {after} did not drop enough from {before}");
        Assert.Equal(400, trainer.TrainedSamples);
        // Forward, and backward twice over (inputs and weights) except the first layer's input gradient; plus one per Relu output and four per Softmax value.
        var gemm = 2L * (784 * 32 + 32 * 16 + 16 * 10);
        Assert.Equal(400L * (3 * gemm - 2 * 784 * 32 + 32 + 16 + 4 * 10), trainer.TrainedFlops);
    }

    [Fact]
    public void TrainEpoch_SameSeed_GivesIdenticalBytes_WhetherPiecesRunInParallelOrInline()
    {
        var train = Subset(300);

        var parallel = TrainSmall(seed: 5, train);
        var again = TrainSmall(seed: 5, train);
        var inline = TrainSmall(seed: 5, train, inline: true);
        var other = TrainSmall(seed: 6, train);

        Assert.Equal(parallel, again);
        Assert.Equal(parallel, inline);
        Assert.NotEqual(parallel, other);
    }

    [Fact]
    public void LeNetTraining_IsDeterministic_InParallelAndInline_WithDropout()
    {
        var train = Subset(96);
        byte[] Train(bool inline)
        {
            var model = ClassifierGraphs.LeNet5(seed: 4);
            // A Dropout before the classifier exercises the seeded masks.
            var dropout = OpCases.Node("Dropout", ["fc1.relu.out", "ratio"]);
            dropout.Output[0] = "fc1.dropped";
            model.Graph.Initializer.Add(TensorData.CreateFloat("ratio", [], [0.25f]));
            model.Graph.Node.Single(n => n.Name == "fc2.gemm").Input[0] = "fc1.dropped";
            model.Graph.Node.Insert(model.Graph.Node.IndexOf(model.Graph.Node.Single(n => n.Name == "fc2.gemm")), dropout);
            var graph = TrainableGraph.Build(model);
            var trainer = new GraphTrainer(graph, new AdamWOptimizer(1e-3f, 1e-4f), new GraphTrainingOptions { Seed = 4, BatchSize = 32 });
            using (inline ? FixedPartitions.RunInline() : null)
            {
                trainer.TrainEpoch(train, new SoftmaxCrossEntropyLoss(train.Labels!));
            }
            return OnnxModelFile.Serialize(graph.Export());
        }

        Assert.Equal(Train(inline: false), Train(inline: true));
    }

    [Fact]
    public void Selector_FrozenParametersKeepTheirBytes()
    {
        var train = Subset(200);
        var model = ClassifierGraphs.Mlp(SmallWidths, seed: 7);
        var graph = TrainableGraph.Build(model, name => name.StartsWith("fc3", StringComparison.Ordinal));
        new GraphTrainer(graph, new AdamWOptimizer(1e-3f, 1e-4f)).TrainEpoch(train, new SoftmaxCrossEntropyLoss(train.Labels!));

        var exported = graph.Export();

        foreach (var (before, after) in model.Graph.Initializer.Zip(exported.Graph.Initializer))
        {
            Assert.Equal(before.Name.StartsWith("fc3", StringComparison.Ordinal), !before.RawData.Equals(after.RawData));
        }
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("lenet")]
    public void Export_RunsInOnnxRuntime_AndMatchesTheTrainersForward(string kind)
    {
        var set = Subset(160);
        var model = kind == "mlp" ? ClassifierGraphs.Mlp(SmallWidths, seed: 8) : ClassifierGraphs.LeNet5(seed: 8);
        var graph = TrainableGraph.Build(model);
        new GraphTrainer(graph, new AdamWOptimizer(1e-3f, 1e-4f), new GraphTrainingOptions { BatchSize = 32 }).TrainEpoch(set, new SoftmaxCrossEntropyLoss(set.Labels!));
        var exported = OnnxModelFile.Serialize(graph.Export());
        int[] shape = kind == "mlp" ? [64, 784] : [64, 1, 28, 28];
        var input = set.Data.AsSpan(0, 64 * 784).ToArray();

        var ours = graph.Forward(Feed(graph, new GraphTensor(shape, input))).Value(ClassifierGraphs.OutputName).Data;
        using var session = new InferenceSession(exported);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(ClassifierGraphs.InputName, new DenseTensor<float>(input, shape))]);
        var theirs = results[0].AsTensor<float>().ToArray();

        Assert.Equal(theirs.Length, ours.Length);
        Assert.All(theirs.Zip(ours), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4f, $"ONNX Runtime {p.First}, trainer {p.Second}"));
        Assert.NotEqual(OnnxModelFile.Serialize(model), exported);
    }

    [Fact]
    public void LeNet_LearnsToClassify_SamplesItWasNotTrainedOn()
    {
        var set = Subset(1000);
        var (train, heldOut) = (set.Take(800), new EvalSet(set.SampleShape, set.Data[(800 * 784)..], set.Labels![800..]));
        var trainer = new GraphTrainer(TrainableGraph.Build(ClassifierGraphs.LeNet5(seed: 11)), new AdamWOptimizer(2e-3f, 1e-4f), new GraphTrainingOptions { Seed = 11, BatchSize = 32 });

        for (var epoch = 0; epoch < 3; epoch++)
        {
            trainer.TrainEpoch(train, new SoftmaxCrossEntropyLoss(train.Labels!));
        }

        Assert.True(trainer.Accuracy(heldOut) > 0.65, $"held-out accuracy {trainer.Accuracy(heldOut):P1}");
    }

    [Fact]
    public void Distillation_MovesAStudentTowardsItsTeacher()
    {
        var train = Subset(400);
        var teacherGraph = TrainableGraph.Build(ClassifierGraphs.Mlp(SmallWidths, seed: 9));
        var teacher = new GraphTrainer(teacherGraph, new AdamWOptimizer(2e-3f, 1e-4f), new GraphTrainingOptions { Seed = 9 });
        teacher.TrainEpoch(train, new SoftmaxCrossEntropyLoss(train.Labels!));
        var loss = new DistillationLoss(teacher.Logits(train), 10, temperature: 4f);
        var student = new GraphTrainer(TrainableGraph.Build(ClassifierGraphs.Mlp([784, 8, 10], seed: 10)), new AdamWOptimizer(2e-3f, 1e-4f), new GraphTrainingOptions { Seed = 10 });
        double Kl() => loss.Compute(new GraphTensor([train.Count, 10], student.Logits(train)), Enumerable.Range(0, train.Count).ToArray(), new float[train.Count * 10]) / train.Count;
        var before = Kl();

        student.TrainEpoch(train, loss);
        student.TrainEpoch(train, loss);

        Assert.True(Kl() < before * 0.7, $"KL {Kl()} did not drop enough from {before}");
    }
}
