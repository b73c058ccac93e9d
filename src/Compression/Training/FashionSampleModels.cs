using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Training;

/// <summary>
/// Trains the Fashion-MNIST sample classifier (MLP 784-256-128-10) in two versions: v1, and v2 = v1 fine-tuned
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

        var network = MlpNetwork.Create(Widths, options.Seed);
        var trainer = new MlpTrainer(network, options);
        var accuracyV1 = 0.0;
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var loss = trainer.TrainEpoch(train, cancellationToken);
            accuracyV1 = network.Accuracy(test.Data, test.Labels);
            progress?.Report(new EpochReport("v1", epoch, options.Epochs, loss, accuracyV1));
        }
        if (options.Epochs == 0)
        {
            accuracyV1 = network.Accuracy(test.Data, test.Labels);
        }
        var v1 = OnnxModelFile.Serialize(MlpOnnxExporter.Export(network, Info(1, options, "initial training")));

        trainer.LearningRate = options.LearningRate * FineTuneLearningRateFactor;
        var fineTuneLoss = trainer.TrainEpoch(train, cancellationToken);
        var accuracyV2 = network.Accuracy(test.Data, test.Labels);
        progress?.Report(new EpochReport("v2", 1, 1, fineTuneLoss, accuracyV2));
        var v2 = OnnxModelFile.Serialize(MlpOnnxExporter.Export(network, Info(2, options, "v1 fine-tuned one epoch at 0.1x learning rate")));

        return new SampleModelPair(v1, v2, accuracyV1, accuracyV2);
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
