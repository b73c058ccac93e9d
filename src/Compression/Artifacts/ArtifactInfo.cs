namespace FleetQuant.Compression.Artifacts;

/// <summary>What a decode produced and what it cost.</summary>
/// <param name="PeakExtraBytes">
/// Managed bytes allocated by the decode (an upper bound on its peak extra managed memory, because buffers are
/// reused rather than freed), plus the zstd decoder's fixed native workspace.
/// </param>
public sealed record ArtifactInfo(
    string RecipeId,
    int TensorCount,
    long DecodedBytes,
    long LargestTensorBytes,
    long PeakExtraBytes,
    string DecodedSha256);
