using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Pruning;

/// <summary>A tensor to cut along <paramref name="Axis"/>, where channel c occupies entries [c·Block, (c+1)·Block).</summary>
internal sealed record ChannelSlice(TensorProto Tensor, int Axis, int Block);

/// <summary>A BatchNormalization between a layer and the next: it rescales channel c by |Scale[c]| / sqrt(Variance[c] + Epsilon).</summary>
internal sealed record BatchNormScale(TensorProto Scale, TensorProto Variance, float Epsilon);

/// <summary>
/// Where a layer's output channels sit in a value: on the axis <paramref name="FromEnd"/> places from the end
/// (1 = last), in a tensor of <paramref name="Rank"/> dimensions when known; <paramref name="Flattened"/> once a
/// Flatten has merged each channel with its spatial positions.
/// </summary>
internal readonly record struct ChannelLayout(int FromEnd, int? Rank, bool Flattened)
{
    /// <summary>True when the channels are on axis 1 (N, C, ...), the layout BatchNormalization, pools and Flatten expect.</summary>
    public bool ChannelsOnAxisOne => !Flattened && Rank is { } rank && rank - FromEnd == 1;
}

/// <summary>
/// A Conv/Gemm/MatMul whose output channels can be removed: every tensor to cut (its weight and bias, per-channel
/// tensors on the way, the next layer's weight along its input axis), the values whose shapes change, and the
/// value that enters the next layer (where activation importance is measured).
/// </summary>
internal sealed record PrunableLayer(
    TensorProto Weight,
    int OutputAxis,
    int Channels,
    IReadOnlyList<ChannelSlice> Slices,
    IReadOnlyList<BatchNormScale> Normalizations,
    IReadOnlyList<string> ResizedValues,
    string NextLayerInput,
    ChannelLayout NextLayerLayout,
    int NextLayerBlock,
    string NextWeight)
{
    public string Name => Weight.Name;
}

/// <summary>A Conv/Gemm/MatMul weight whose layer cannot be pruned, and why.</summary>
internal sealed record UnprunableLayer(string Weight, string Reason);
