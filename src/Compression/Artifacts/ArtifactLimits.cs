namespace FleetQuant.Compression.Artifacts;

/// <summary>
/// Caps that a decoder enforces before it allocates or writes anything, so a crafted artifact cannot make it
/// use unbounded memory or output.
/// </summary>
public sealed record ArtifactLimits
{
    public static readonly ArtifactLimits Default = new();

    /// <summary>Largest ONNX model a decode may produce (protobuf's own 2 GiB cap).</summary>
    public long MaxDecodedBytes { get; init; } = int.MaxValue;

    /// <summary>Largest tensor table plus graph skeleton, decompressed.</summary>
    public int MaxTableBytes { get; init; } = 64 << 20;

    public int MaxTensorCount { get; init; } = 1 << 20;
}
