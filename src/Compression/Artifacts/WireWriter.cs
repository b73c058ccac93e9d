using System.Buffers.Binary;
using System.Text;

namespace FleetQuant.Compression.Artifacts;

/// <summary>Appends varints, length-prefixed strings and fixed-size fields to a growing buffer.</summary>
internal sealed class WireWriter
{
    private readonly MemoryStream _buffer = new();

    public long Length => _buffer.Length;

    public void Byte(byte value) => _buffer.WriteByte(value);

    public void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _buffer.WriteByte((byte)value);
    }

    public void SignedVarint(long value) => Varint((ulong)((value << 1) ^ (value >> 63)));

    public void String(string value) => LengthPrefixed(Encoding.UTF8.GetBytes(value));

    public void LengthPrefixed(ReadOnlySpan<byte> bytes)
    {
        Varint((ulong)bytes.Length);
        _buffer.Write(bytes);
    }

    public void Bytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    public void UInt32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        _buffer.Write(bytes);
    }

    public void Single(float value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _buffer.Write(bytes);
    }

    public byte[] ToArray() => _buffer.ToArray();

    public static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }
}
