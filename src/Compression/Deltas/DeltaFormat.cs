using System.Buffers.Binary;
using FleetQuant.Compression.Artifacts;

namespace FleetQuant.Compression.Deltas;

/// <summary>
/// The delta's front matter: base and target hashes, the target's tensor table and graph skeleton (each zstd
/// coded against the base's as a dictionary), then one operation per target tensor.
/// </summary>
internal sealed record DeltaHead(
    byte[] BaseSha256,
    byte[] TargetSha256,
    long TargetLength,
    int TargetTableLength,
    int TableFrameLength,
    int TargetSkeletonLength,
    int SkeletonFrameLength)
{
    public const int FixedLength = 8;
    public const ushort FormatVersion = 3;
    public static ReadOnlySpan<byte> Magic => "FQD1"u8;

    /// <summary>Front matter is small: a table and skeleton never need more than this.</summary>
    private const int MaxHeadBytes = 4096;

    public byte[] Write()
    {
        var w = new WireWriter();
        w.Bytes(Magic);
        w.Byte((byte)FormatVersion);
        w.Byte(FormatVersion >> 8);
        w.Byte(0);
        w.Byte(0);
        var body = new WireWriter();
        body.Bytes(BaseSha256);
        body.Bytes(TargetSha256);
        body.Varint((ulong)TargetLength);
        body.Varint((ulong)TargetTableLength);
        body.Varint((ulong)TableFrameLength);
        body.Varint((ulong)TargetSkeletonLength);
        body.Varint((ulong)SkeletonFrameLength);
        w.LengthPrefixed(body.ToArray());
        return w.ToArray();
    }

    public static DeltaHead Read(Stream delta, ArtifactLimits limits)
    {
        var fixedPart = ReadBytes(delta, FixedLength, "delta header");
        if (!fixedPart.AsSpan(0, 4).SequenceEqual(Magic))
        {
            throw new DeltaException("not a FleetQuant delta (bad magic; expected 'FQD1')");
        }
        var version = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart.AsSpan(4));
        if (version != FormatVersion || BinaryPrimitives.ReadUInt16LittleEndian(fixedPart.AsSpan(6)) != 0)
        {
            throw new DeltaException($"delta format version {version} is not supported (this build reads version {FormatVersion})");
        }
        var length = ReadVarint(delta, "delta header length");
        if (length > MaxHeadBytes)
        {
            throw new DeltaException($"delta header declares {length} bytes (limit {MaxHeadBytes})");
        }
        var body = ReadBytes(delta, (int)length, "delta header");
        var r = new WireReader(body, m => new DeltaException("delta header: " + m));
        var head = new DeltaHead(
            r.Bytes(32, "base SHA-256").ToArray(),
            r.Bytes(32, "target SHA-256").ToArray(),
            r.Bounded("target length", limits.MaxDecodedBytes),
            (int)r.Bounded("target table length", limits.MaxTableBytes),
            (int)r.Bounded("table frame length", limits.MaxTableBytes),
            (int)r.Bounded("target skeleton length", limits.MaxTableBytes),
            (int)r.Bounded("skeleton frame length", limits.MaxTableBytes));
        if (!r.AtEnd)
        {
            throw new DeltaException("delta header has unexpected trailing bytes");
        }
        return head;
    }

    public static byte[] ReadBytes(Stream stream, int length, string what)
    {
        try
        {
            return ArtifactSource.ReadExactly(stream, length, what);
        }
        catch (ArtifactException ex)
        {
            throw new DeltaException($"delta is truncated in {what}", ex);
        }
    }

    public static ulong ReadVarint(Stream stream, string what)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = stream.ReadByte();
            if (b < 0)
            {
                throw new DeltaException($"delta is truncated in {what}");
            }
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new DeltaException($"{what}: varint longer than 10 bytes");
    }
}
