using System.Security.Cryptography;
using FleetQuant.Protocol.Manifests;

namespace FleetQuant.Protocol.Transfer;

/// <summary>Builds and checks the per-chunk hashes a <see cref="TransferObject"/> carries.</summary>
public static class ChunkTable
{
    public const int DefaultChunkSize = 64 * 1024;

    /// <summary>AWS IoT's MQTT file delivery caps a block at 128 KiB; staying under it keeps brokers happy.</summary>
    public const int MaxChunkSize = 128 * 1024;

    public static TransferObject Describe(ReadOnlySpan<byte> content, int chunkSize = DefaultChunkSize)
    {
        if (chunkSize is <= 0 or > MaxChunkSize)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), $"chunk size must be 1..{MaxChunkSize}");
        }
        var count = ChunkCount(content.Length, chunkSize);
        var hashes = new byte[count * SHA256.HashSizeInBytes];
        for (var i = 0; i < count; i++)
        {
            var start = i * chunkSize;
            SHA256.HashData(content.Slice(start, Math.Min(chunkSize, content.Length - start)), hashes.AsSpan(i * SHA256.HashSizeInBytes));
        }
        return new TransferObject
        {
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(content)),
            Size = content.Length,
            ChunkSize = chunkSize,
            ChunkHashes = Convert.ToBase64String(hashes),
        };
    }

    public static int ChunkCount(long size, int chunkSize) => checked((int)((size + chunkSize - 1) / chunkSize));

    /// <summary>True when <paramref name="chunk"/> is exactly chunk <paramref name="index"/> of the object.</summary>
    public static bool Verify(TransferObject obj, int index, ReadOnlySpan<byte> chunk)
    {
        var hashes = Convert.FromBase64String(obj.ChunkHashes);
        var count = ChunkCount(obj.Size, obj.ChunkSize);
        if (hashes.Length != count * SHA256.HashSizeInBytes || index < 0 || index >= count)
        {
            return false;
        }
        var expectedLength = (int)Math.Min(obj.ChunkSize, obj.Size - (long)index * obj.ChunkSize);
        if (chunk.Length != expectedLength)
        {
            return false;
        }
        Span<byte> actual = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(chunk, actual);
        return CryptographicOperations.FixedTimeEquals(actual, hashes.AsSpan(index * SHA256.HashSizeInBytes, SHA256.HashSizeInBytes));
    }
}
