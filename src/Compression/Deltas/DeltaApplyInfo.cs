namespace FleetQuant.Compression.Deltas;

/// <summary>What applying a delta produced and the managed memory it allocated (an upper bound on its peak extra).</summary>
public sealed record DeltaApplyInfo(long TargetBytes, string TargetSha256, int TensorsCopied, int TensorsPatched, int TensorsWhole, long PeakExtraBytes);
