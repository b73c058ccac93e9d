using System.Buffers.Binary;
using System.Text;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.Protocol.Transfer;

/// <summary>
/// Binary framing of a chunk response, so bulk bytes are not base64-inflated:
/// <c>"FQC1" | requestId u32 | offset u64 | object sha256 hex (64 ASCII) | data</c>, big-endian integers.
/// </summary>
public readonly record struct ChunkFrame(int RequestId, long Offset, string ObjectSha256, ReadOnlyMemory<byte> Data)
{
    private static ReadOnlySpan<byte> Magic => "FQC1"u8;

    private const int HashChars = 64;
    public const int HeaderSize = 4 + 4 + 8 + HashChars;

    public byte[] ToBytes()
    {
        var bytes = new byte[HeaderSize + Data.Length];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), RequestId);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(8), Offset);
        if (ObjectSha256.Length != HashChars || Encoding.ASCII.GetBytes(ObjectSha256, bytes.AsSpan(16)) != HashChars)
        {
            throw new ArgumentException("object hash must be 64 hex characters");
        }
        Data.Span.CopyTo(bytes.AsSpan(HeaderSize));
        return bytes;
    }

    public static ChunkFrame Parse(ReadOnlyMemory<byte> payload)
    {
        var span = payload.Span;
        if (span.Length < HeaderSize || !span[..4].SequenceEqual(Magic))
        {
            throw new ProtocolException($"chunk frame: {span.Length} bytes without a valid header");
        }
        var offset = BinaryPrimitives.ReadInt64BigEndian(span[8..]);
        if (offset < 0)
        {
            throw new ProtocolException("chunk frame: negative offset");
        }
        var hash = Encoding.ASCII.GetString(span.Slice(16, HashChars));
        if (!hash.All(char.IsAsciiHexDigitLower))
        {
            throw new ProtocolException("chunk frame: object hash is not lowercase hex");
        }
        return new ChunkFrame(BinaryPrimitives.ReadInt32BigEndian(span[4..]), offset, hash, payload[HeaderSize..]);
    }
}
