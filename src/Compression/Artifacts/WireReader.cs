using System.Buffers.Binary;
using System.Text;

namespace FleetQuant.Compression.Artifacts;

/// <summary>
/// Reads what <see cref="WireWriter"/> wrote, checking every length against the bytes that remain, so crafted
/// input fails with a message naming <c>what</c> was being read.
/// </summary>
internal ref struct WireReader(ReadOnlySpan<byte> data, Func<string, Exception> fail)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly int Remaining => _data.Length - _position;

    public readonly bool AtEnd => _position == _data.Length;

    public byte Byte(string what)
    {
        if (_position >= _data.Length)
        {
            throw fail($"{what}: unexpected end of data");
        }
        return _data[_position++];
    }

    public ulong Varint(string what)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = Byte(what);
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw fail($"{what}: varint longer than 10 bytes");
    }

    /// <summary>A varint that must lie in [0, max].</summary>
    public long Bounded(string what, long max)
    {
        var value = Varint(what);
        if (value > (ulong)max)
        {
            throw fail($"{what}: {value} is over the limit {max}");
        }
        return (long)value;
    }

    public long SignedVarint(string what)
    {
        var raw = Varint(what);
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public ReadOnlySpan<byte> Bytes(int count, string what)
    {
        if (count < 0 || count > Remaining)
        {
            throw fail($"{what}: {count} bytes declared but only {Remaining} remain");
        }
        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    public ReadOnlySpan<byte> LengthPrefixed(string what) => Bytes((int)Bounded(what, Remaining), what);

    public string String(string what)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(LengthPrefixed(what));
        }
        catch (DecoderFallbackException)
        {
            throw fail($"{what}: not valid UTF-8");
        }
    }

    public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));

    public float Single(string what) => BinaryPrimitives.ReadSingleLittleEndian(Bytes(4, what));
}
