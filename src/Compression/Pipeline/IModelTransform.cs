namespace FleetQuant.Compression.Pipeline;

/// <summary>A step that changes the whole model (pruning, structured pruning).</summary>
public interface IModelTransform
{
    void Apply(CompressionContext context);
}

/// <summary>A weight-coding step, applied to the weights that the recipe (or a layer override) gives it.</summary>
public interface IWeightCoder
{
    void Encode(CompressionContext context, IReadOnlyList<WeightRef> weights);
}
