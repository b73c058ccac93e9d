using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Training.Graph;

namespace FleetQuant.Compression.Training;

/// <summary>
/// Trains the Fashion-MNIST sample classifier (MLP 784-256-128-10, built as an ONNX graph and trained by the
/// <see cref="GraphTrainer"/>) in two versions: v1, and v2 = v1 fine-tuned
/// for one more epoch at a tenth of the learning rate, a realistic model update in which
/// almost every weight moves a little.
/// </summary>
public static class FashionSampleModels
{
    public const string ModelName = "fashion-mlp";
    public const string Preprocessing = "pixels/255";

    public static readonly IReadOnlyList<int> Widths = [784, 256, 128, 10];

    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Fine-tuning for v2 runs at this fraction of the v1 learning rate.</summary>
    public const float FineTuneLearningRateFactor = 0.1f;

    public static SampleModelPair Train(EvalSet train, EvalSet test, MlpTrainingOptions options, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        RequireFlatImages(train, nameof(train));
        RequireFlatImages(test, nameof(test));

        var graph = TrainableGraph.Build(ClassifierGraphs.Mlp(Widths, options.Seed, ModelName));
        var optimizer = new AdamWOptimizer(options.LearningRate, options.WeightDecay);
        var trainer = new GraphTrainer(graph, optimizer, new GraphTrainingOptions { BatchSize = options.BatchSize, Seed = options.Seed });
        var loss = new SoftmaxCrossEntropyLoss(train.Labels!);
        var accuracyV1 = options.Epochs == 0 ? trainer.Accuracy(test) : 0.0;
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var meanLoss = trainer.TrainEpoch(train, loss, cancellationToken);
            accuracyV1 = trainer.Accuracy(test);
            progress?.Report(new EpochReport("v1", epoch, options.Epochs, meanLoss, accuracyV1));
        }
        var v1 = OnnxModelFile.Serialize(Describe(graph.Export(), Info(1, options, "initial training")));

        optimizer.LearningRate = options.LearningRate * FineTuneLearningRateFactor;
        var fineTuneLoss = trainer.TrainEpoch(train, loss, cancellationToken);
        var accuracyV2 = trainer.Accuracy(test);
        progress?.Report(new EpochReport("v2", 1, 1, fineTuneLoss, accuracyV2));
        var v2 = OnnxModelFile.Serialize(Describe(graph.Export(), Info(2, options, "v1 fine-tuned one epoch at 0.1x learning rate")));

        return new SampleModelPair(v1, v2, accuracyV1, accuracyV2);
    }

    /// <summary>Identity and preprocessing contract in the model's fields and metadata; nothing time- or machine-dependent, so equal weights give equal bytes.</summary>
    private static ModelProto Describe(ModelProto model, SampleModelInfo info)
    {
        model.ProducerVersion = "train-sample";
        model.ModelVersion = info.Version;
        model.DocString = info.Description;
        model.MetadataProps.Add(new StringStringEntryProto { Key = "model_name", Value = info.Name });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "version", Value = info.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "preprocessing", Value = info.Preprocessing });
        if (info.Labels.Count > 0)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = "labels", Value = string.Join(",", info.Labels) });
        }
        return model;
    }

    private static SampleModelInfo Info(long version, MlpTrainingOptions options, string how) => new(
        ModelName,
        version,
        $"Fashion-MNIST MLP {string.Join("-", Widths)} (ReLU, softmax), {how}; AdamW, {options.Epochs} epochs, batch {options.BatchSize}, seed {options.Seed}. Input: 28x28 grey pixels flattened row-major, scaled by 1/255.",
        Preprocessing,
        ClassNames);

    private static void RequireFlatImages(EvalSet set, string name)
    {
        if (set.SampleSize != Widths[0] || set.Labels is null)
        {
            throw new ArgumentException($"{name}: expected labelled samples of {Widths[0]} values, got {set.SampleSize}{(set.Labels is null ? " without labels" : "")}", name);
        }
    }
}

/// <summary>The two serialized sample models and their test accuracies as measured by the trainer.</summary>
public sealed record SampleModelPair(byte[] V1, byte[] V2, double V1Accuracy, double V2Accuracy);
