using System.Buffers;
using System.Runtime.CompilerServices;

namespace FleetQuant.Compression.Artifacts;

/// <summary>
/// The adaptive range coder over small signed values (codec <see cref="StreamCodec.RangeSigned"/>): each symbol is
/// read as a signed value mod 2^bits, zig-zag mapped (0, −1, +1, −2… → 0, 1, 2, 3…) and sent as "greater than k?"
/// decisions for k = 0…<see cref="UnaryLength"/>−1, with an escape to a bits-wide binary tree above that. The
/// decisions' context is the previous symbol's magnitude (capped). Code differences and prediction residuals are
/// mostly 0 and ±1, so a symbol costs about 1–2 binary decisions instead of the 4–8 of a full symbol tree, at the
/// same or smaller size (the magnitude context follows the runs of moved channels the way order 1 does).
/// </summary>
internal static class SignedRangeCoding
{
    /// <summary>Unary decisions before the escape; also the number of contexts (previous magnitude 0…5+).</summary>
    public const int UnaryLength = 6;

    private const uint TopValue = 1 << 24;
    private const int One = 1 << SymbolModel.ProbabilityBits;

    /// <summary>Estimate pairs: contexts × unary decisions, then the escape tree's nodes.</summary>
    public static int TableSize(int bits) => 2 * (UnaryLength * UnaryLength + (1 << bits));

    /// <summary>Zig-zag of the symbol read as a signed bits-wide value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Magnitude(int symbol, int bits)
    {
        var signed = (symbol << (32 - bits)) >> (32 - bits);
        return (signed << 1) ^ (signed >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Symbol(int magnitude, int bits) => ((magnitude >> 1) ^ -(magnitude & 1)) & ((1 << bits) - 1);

    public static ushort[] NewTable(int bits)
    {
        var table = new ushort[TableSize(bits)];
        Array.Fill(table, (ushort)(One >> 1));
        return table;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static byte[] Encode(ReadOnlySpan<byte> symbols, int bits)
    {
        var table = NewTable(bits);
        var escape = 2 * UnaryLength * UnaryLength;
        // Scratch from the pool: a long stream's would land on the large-object heap on every trial encode.
        var scratch = ArrayPool<byte>.Shared.Rent(symbols.Length / 4 + 64);
        var output = scratch;
        var written = 0;
        ulong low = 0;
        var range = uint.MaxValue;
        byte cache = 0;
        long cacheSize = 1;
        var context = 0;
        foreach (var symbol in symbols)
        {
            var z = Magnitude(symbol, bits);
            var row = 2 * UnaryLength * context;
            var k = 0;
            for (; k < UnaryLength; k++)
            {
                var bit = z > k ? 1 : 0;
                EncodeBit(ref table[row + 2 * k], ref table[row + 2 * k + 1], bit, ref low, ref range, ref cache, ref cacheSize, ref output, ref written);
                if (bit == 0)
                {
                    break;
                }
            }
            if (k == UnaryLength)
            {
                var node = 1;
                for (var i = bits - 1; i >= 0; i--)
                {
                    var bit = (z >> i) & 1;
                    EncodeBit(ref table[escape + 2 * node], ref table[escape + 2 * node + 1], bit, ref low, ref range, ref cache, ref cacheSize, ref output, ref written);
                    node = (node << 1) | bit;
                }
            }
            context = Math.Min(z, UnaryLength - 1);
        }
        for (var i = 0; i < 5; i++)
        {
            RangeCoding.ShiftLow(ref low, ref cache, ref cacheSize, ref output, ref written);
        }
        var coded = output.AsSpan(0, written).ToArray();
        ArrayPool<byte>.Shared.Return(scratch);
        return coded;
    }

    /// <summary>Decodes <paramref name="output"/>.Length symbols; input that runs out is an <see cref="ArtifactException"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Decode(ReadOnlySpan<byte> input, Span<byte> output, int bits)
    {
        var table = NewTable(bits);
        var escape = 2 * UnaryLength * UnaryLength;
        var position = 0;
        var range = uint.MaxValue;
        uint code = 0;
        for (var i = 0; i < 5; i++)
        {
            code = (code << 8) | RangeCoding.NextByte(input, ref position);
        }
        var context = 0;
        for (var s = 0; s < output.Length; s++)
        {
            var row = 2 * UnaryLength * context;
            var z = 0;
            while (z < UnaryLength && DecodeBit(ref table[row + 2 * z], ref table[row + 2 * z + 1], input, ref position, ref range, ref code) == 1)
            {
                z++;
            }
            if (z == UnaryLength)
            {
                var node = 1;
                for (var i = 0; i < bits; i++)
                {
                    node = (node << 1) | DecodeBit(ref table[escape + 2 * node], ref table[escape + 2 * node + 1], input, ref position, ref range, ref code);
                }
                z = node - (1 << bits);
            }
            output[s] = (byte)Symbol(z, bits);
            context = Math.Min(z, UnaryLength - 1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void EncodeBit(ref ushort fast, ref ushort slow, int bit, ref ulong low, ref uint range, ref byte cache, ref long cacheSize, ref byte[] output, ref int written)
    {
        var bound = (range >> SymbolModel.ProbabilityBits) * (((uint)fast + slow) >> 1);
        var ones = (uint)-bit;
        low += bound & ones;
        range = bound + (ones & (range - bound - bound));
        RangeCoding.Adapt(ref fast, ref slow, (int)ones);
        while (range < TopValue)
        {
            range <<= 8;
            RangeCoding.ShiftLow(ref low, ref cache, ref cacheSize, ref output, ref written);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DecodeBit(ref ushort fast, ref ushort slow, ReadOnlySpan<byte> input, ref int position, ref uint range, ref uint code)
    {
        var bound = (range >> SymbolModel.ProbabilityBits) * (((uint)fast + slow) >> 1);
        // Branch-free, as in RangeCoding.Decode.
        var bit = (int)((ulong)~((long)code - bound) >> 63);
        var ones = (uint)-bit;
        code -= bound & ones;
        range = bound + (ones & (range - bound - bound));
        RangeCoding.Adapt(ref fast, ref slow, (int)ones);
        while (range < TopValue)
        {
            range <<= 8;
            code = (code << 8) | RangeCoding.NextByte(input, ref position);
        }
        return bit;
    }
}

/// <summary>Streams <see cref="SignedRangeCoding"/> symbols one at a time (the unpack path's reader).</summary>
internal sealed class SignedRangeReader(RangeDecoder decoder, int bits, long count) : ISymbolReader
{
    private readonly ushort[] _table = SignedRangeCoding.NewTable(bits);
    private long _read;
    private int _context;

    public int Next()
    {
        if (_read++ >= count)
        {
            throw new ArtifactException("a stream was read past its declared symbol count");
        }
        var row = 2 * SignedRangeCoding.UnaryLength * _context;
        var z = 0;
        while (z < SignedRangeCoding.UnaryLength && decoder.DecodeBit(ref _table[row + 2 * z], ref _table[row + 2 * z + 1]) == 1)
        {
            z++;
        }
        if (z == SignedRangeCoding.UnaryLength)
        {
            var escape = 2 * SignedRangeCoding.UnaryLength * SignedRangeCoding.UnaryLength;
            var node = 1;
            for (var i = 0; i < bits; i++)
            {
                node = (node << 1) | decoder.DecodeBit(ref _table[escape + 2 * node], ref _table[escape + 2 * node + 1]);
            }
            z = node - (1 << bits);
        }
        _context = Math.Min(z, SignedRangeCoding.UnaryLength - 1);
        return SignedRangeCoding.Symbol(z, bits);
    }

    public void Finish()
    {
        if (_read != count)
        {
            throw new ArtifactException($"a stream declares {count} symbols but {_read} were used");
        }
    }
}
