namespace FleetQuant.Grains.Artifacts;

/// <summary>
/// Content-addressed bytes: artifacts, deltas and source models are stored under their SHA-256 (lowercase hex).
/// Reads verify the hash, so a corrupted or truncated file is an error, never wrong bytes.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Stores the bytes (idempotent) and returns their SHA-256 hex.</summary>
    Task<string> PutAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default);

    /// <summary>Reads all bytes of <paramref name="hash"/>, verified against the hash.</summary>
    Task<byte[]> ReadAsync(string hash, CancellationToken cancellationToken = default);

    /// <summary>Opens a stream over the bytes of <paramref name="hash"/> after verifying them.</summary>
    Task<Stream> OpenReadAsync(string hash, CancellationToken cancellationToken = default);

    bool Exists(string hash);

    /// <summary>Size in bytes, or null when the hash is not stored.</summary>
    long? GetSize(string hash);
}
