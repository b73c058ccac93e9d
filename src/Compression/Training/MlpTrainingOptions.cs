namespace FleetQuant.Compression.Training;

/// <summary>Hyper-parameters of <see cref="FashionSampleModels"/> (AdamW on the graph trainer); the defaults train the Fashion-MNIST sample model.</summary>
public sealed record MlpTrainingOptions
{
    public int Epochs { get; init; } = 8;

    public int BatchSize { get; init; } = 64;

    public float LearningRate { get; init; } = 1e-3f;

    public float WeightDecay { get; init; } = 1e-4f;

    /// <summary>Seeds initialisation and shuffling: the same seed gives the same weights, bit for bit.</summary>
    public int Seed { get; init; } = 1;

    public void Validate()
    {
        if (Epochs < 0 || BatchSize <= 0 || !(LearningRate > 0) || !float.IsFinite(LearningRate) || WeightDecay < 0)
        {
            throw new ArgumentException($"invalid training options: epochs {Epochs}, batch {BatchSize}, learning rate {LearningRate}, weight decay {WeightDecay}");
        }
    }
}

/// <summary>What one training epoch achieved.</summary>
public sealed record EpochReport(string Stage, int Epoch, int Epochs, double MeanLoss, double? TestAccuracy);
