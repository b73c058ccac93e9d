using System.Globalization;

namespace FleetQuant.Compression.Recipes;

/// <summary>Where a step sits in a recipe: steps run in stage order, at most one weight-coding step.</summary>
public enum RecipeStage
{
    StructuredPruning = 0,
    Pruning = 1,
    WeightCoding = 2,
}

public enum QuantGranularity
{
    PerTensor,
    PerChannel,
    Block,
}

public enum PruneScope
{
    PerLayer,
    Global,
}

public enum ChannelImportance
{
    /// <summary>L2 norm of each output channel's weights.</summary>
    WeightNorm,

    /// <summary>Mean absolute activation of each output channel, measured on calibration data.</summary>
    Activation,
}

/// <summary>One composable step of a recipe. <see cref="Id"/> is its canonical text form.</summary>
public abstract record RecipeStep
{
    public abstract string Id { get; }

    public abstract RecipeStage Stage { get; }

    /// <summary>Bits per weight on the wire, for weight-coding steps.</summary>
    public virtual int? WeightBits => null;

    public sealed override string ToString() => Id;

    protected static string Percent(double ratio) => Math.Round(ratio * 100).ToString(CultureInfo.InvariantCulture);
}

/// <summary>Integer quantization of Conv/Gemm/MatMul weights: <c>q{bits}{t|c|b&lt;block&gt;}{s|a}</c>, e.g. q8cs, q4b32a.</summary>
public sealed record QuantizeStep(int Bits, QuantGranularity Granularity, int BlockSize, bool Symmetric) : RecipeStep
{
    public override string Id => $"q{Bits}{Granularity switch
    {
        QuantGranularity.PerTensor => "t",
        QuantGranularity.PerChannel => "c",
        _ => "b" + BlockSize.ToString(CultureInfo.InvariantCulture),
    }}{(Symmetric ? "s" : "a")}";

    public override RecipeStage Stage => RecipeStage.WeightCoding;

    public override int? WeightBits => Bits;
}

/// <summary>Int8 weights with activations quantized at run time (MatMulInteger): <c>dq8</c>.</summary>
public sealed record DynamicQuantizeStep : RecipeStep
{
    public override string Id => "dq8";

    public override RecipeStage Stage => RecipeStage.WeightCoding;

    public override int? WeightBits => 8;
}

/// <summary>Weights in {-α, 0, +α} per output channel (TWN): <c>ternary</c>.</summary>
public sealed record TernaryStep : RecipeStep
{
    public override string Id => "ternary";

    public override RecipeStage Stage => RecipeStage.WeightCoding;

    public override int? WeightBits => 2;
}

/// <summary>Weights in {-α, +α} per output channel, α = mean|W| (XNOR-Net): <c>binary</c>.</summary>
public sealed record BinaryStep : RecipeStep
{
    public override string Id => "binary";

    public override RecipeStage Stage => RecipeStage.WeightCoding;

    public override int? WeightBits => 1;
}

/// <summary>k-means weight sharing with 2^k centroids per tensor (Deep Compression): <c>km{k}</c>.</summary>
public sealed record WeightSharingStep(int IndexBits) : RecipeStep
{
    public override string Id => $"km{IndexBits}";

    public override RecipeStage Stage => RecipeStage.WeightCoding;

    public override int? WeightBits => IndexBits;
}

/// <summary>Unstructured magnitude pruning: <c>p{percent}</c> per layer, <c>p{percent}g</c> global.</summary>
public sealed record PruneStep(double Ratio, PruneScope Scope) : RecipeStep
{
    public override string Id => $"p{Percent(Ratio)}{(Scope == PruneScope.Global ? "g" : "")}";

    public override RecipeStage Stage => RecipeStage.Pruning;
}

/// <summary>Removes whole output channels/neurons: <c>sp{percent}</c> by weight norm, <c>sp{percent}a</c> by activation.</summary>
public sealed record StructuredPruneStep(double Ratio, ChannelImportance Importance) : RecipeStep
{
    public override string Id => $"sp{Percent(Ratio)}{(Importance == ChannelImportance.Activation ? "a" : "")}";

    public override RecipeStage Stage => RecipeStage.StructuredPruning;
}
