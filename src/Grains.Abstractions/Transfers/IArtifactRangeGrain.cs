namespace FleetQuant.Grains.Transfers;

/// <summary>
/// Reads byte ranges of stored artifacts and deltas for chunk responses (stateless worker, key 0), so a Gateway
/// running as its own process needs no access to the artifact store. Keeps a few hot objects in memory.
/// </summary>
[Alias("fq.IArtifactRangeGrain")]
public interface IArtifactRangeGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Bytes [<paramref name="offset"/>, offset + <paramref name="length"/>) of the object, clipped at its end; throws
    /// <see cref="ArgumentException"/> for a bad hash or range.
    /// </summary>
    [Alias("ReadRange")]
    Task<byte[]> ReadRange(string objectSha256, long offset, int length);
}
