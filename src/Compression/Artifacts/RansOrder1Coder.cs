using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FleetQuant.Compression.Artifacts;

/// <summary>
/// Static order-1 rANS for streams of at most <see cref="MaxBits"/>-bit symbols (codec <see cref="StreamCodec.RansOrder1"/>):
/// the frequency table is chosen by the previous symbol (0 before the first). 4-bit codes decode with one table
/// lookup each instead of the range coder's four dependent adaptive decisions, at about the adaptive order-1 size.
/// Layout: per context (2^bits of them) a u8 (0: never used, 1: used) and, when used, a varint frequency per
/// symbol summing to 2^12; the final 32-bit state big-endian; the renormalisation bytes. Byte-wise
/// renormalisation with the state kept in [2^23, 2^31); decoding must end in state 2^23 with every byte used.
/// </summary>
internal static class RansOrder1Coder
{
    public const int MaxBits = 4;
    public const int ScaleBits = 12;
    private const int Total = 1 << ScaleBits;
    private const int Mask = Total - 1;
    private const uint Low = 1u << 23;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static byte[] Encode(ReadOnlySpan<byte> symbols, int bits)
    {
        if (bits > MaxBits)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, $"order-1 rANS codes symbols of at most {MaxBits} bits");
        }
        var alphabet = 1 << bits;
        var counts = new long[alphabet * alphabet];
        var previous = 0;
        foreach (var s in symbols)
        {
            counts[previous * alphabet + s]++;
            previous = s;
        }
        var frequencies = new int[alphabet * alphabet];
        var starts = new int[alphabet * alphabet];
        var header = new WireWriter();
        for (var c = 0; c < alphabet; c++)
        {
            var row = counts.AsSpan(c * alphabet, alphabet);
            long rowTotal = 0;
            foreach (var n in row)
            {
                rowTotal += n;
            }
            header.Byte(rowTotal == 0 ? (byte)0 : (byte)1);
            if (rowTotal == 0)
            {
                continue;
            }
            var normalized = RansCoder.Normalize(row, rowTotal, Total);
            var start = 0;
            for (var s = 0; s < alphabet; s++)
            {
                frequencies[c * alphabet + s] = normalized[s];
                starts[c * alphabet + s] = start;
                start += normalized[s];
                header.Varint((ulong)normalized[s]);
            }
        }

        // rANS codes last-in first-out: code backwards, emit bytes backwards, reverse once at the end.
        // Scratch from the pool: a long stream's would land on the large-object heap on every trial encode.
        var scratch = ArrayPool<byte>.Shared.Rent(symbols.Length / 2 + 16);
        var reversed = scratch;
        var written = 0;
        var x = Low;
        for (var i = symbols.Length - 1; i >= 0; i--)
        {
            var slot = (i == 0 ? 0 : symbols[i - 1]) * alphabet + symbols[i];
            var f = (uint)frequencies[slot];
            var limit = ((Low >> ScaleBits) << 8) * f;
            while (x >= limit)
            {
                if (written == reversed.Length)
                {
                    Array.Resize(ref reversed, reversed.Length * 2);
                }
                reversed[written++] = (byte)x;
                x >>= 8;
            }
            x = ((x / f) << ScaleBits) + (x % f) + (uint)starts[slot];
        }

        header.Byte((byte)(x >> 24));
        header.Byte((byte)(x >> 16));
        header.Byte((byte)(x >> 8));
        header.Byte((byte)x);
        var head = header.ToArray();
        var output = new byte[head.Length + written];
        head.CopyTo(output, 0);
        for (var i = 0; i < written; i++)
        {
            output[head.Length + i] = reversed[written - 1 - i];
        }
        ArrayPool<byte>.Shared.Return(scratch);
        return output;
    }

    /// <summary>Reads the tables and initial state; all later reads are symbols.</summary>
    public static RansOrder1Decoder Open(ReadOnlyMemory<byte> data, long count, int bits)
    {
        if (bits > MaxBits)
        {
            throw new ArtifactException($"order-1 rANS stream of {bits}-bit symbols (at most {MaxBits})");
        }
        var alphabet = 1 << bits;
        var r = new WireReader(data.Span, m => new ArtifactException("order-1 rANS stream: " + m));
        // Per context: the symbol of each slot, and each symbol's (frequency, start). Unused contexts stay all
        // zero frequency, so reaching one is caught as a corrupt stream.
        var lookup = new byte[alphabet * Total];
        var frequencies = new ushort[alphabet * alphabet];
        var starts = new ushort[alphabet * alphabet];
        for (var c = 0; c < alphabet; c++)
        {
            var used = r.Byte("context flag");
            if (used > 1)
            {
                throw new ArtifactException($"order-1 rANS stream: context flag {used} (0 or 1)");
            }
            if (used == 0)
            {
                continue;
            }
            var start = 0;
            for (var s = 0; s < alphabet; s++)
            {
                var f = (int)r.Bounded("symbol frequency", Total - start);
                frequencies[c * alphabet + s] = (ushort)f;
                starts[c * alphabet + s] = (ushort)start;
                lookup.AsSpan(c * Total + start, f).Fill((byte)s);
                start += f;
            }
            if (start != Total)
            {
                throw new ArtifactException($"order-1 rANS stream: context {c} frequencies add up to {start}, not {Total}");
            }
        }
        var x = (uint)r.Byte("state") << 24 | (uint)r.Byte("state") << 16 | (uint)r.Byte("state") << 8 | r.Byte("state");
        if (x < Low)
        {
            throw new ArtifactException("order-1 rANS stream: initial state is out of range");
        }
        return new RansOrder1Decoder(data[(data.Length - r.Remaining)..], lookup, frequencies, starts, bits, x, count);
    }

    /// <summary>Decodes a whole stream in one loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Decode(ReadOnlyMemory<byte> data, Span<byte> output, int bits)
    {
        var decoder = Open(data, output.Length, bits);
        decoder.DecodeAll(output);
        decoder.Finish();
    }

    /// <summary>Slot bits of the state: what the decoder masks off for the table lookup.</summary>
    internal static int Slot(uint state) => (int)(state & Mask);
}

/// <summary>Decodes an <see cref="RansOrder1Coder"/> stream, one symbol at a time or all at once.</summary>
internal sealed class RansOrder1Decoder(ReadOnlyMemory<byte> input, byte[] lookup, ushort[] frequencies, ushort[] starts, int bits, uint state, long count)
    : ISymbolReader
{
    private const uint Low = 1u << 23;
    private int _position;
    private uint _state = state;
    private long _read;
    private int _previous;

    public int Next()
    {
        if (_read++ >= count)
        {
            throw new ArtifactException("a stream was read past its declared symbol count");
        }
        var slot = RansOrder1Coder.Slot(_state);
        var s = lookup[(_previous << RansOrder1Coder.ScaleBits) + slot];
        var index = (_previous << bits) + s;
        var f = frequencies[index];
        if (f == 0)
        {
            throw new ArtifactException("an order-1 rANS stream reaches a context or symbol its tables do not hold: the stream is corrupt");
        }
        _state = f * (_state >> RansOrder1Coder.ScaleBits) + (uint)slot - starts[index];
        if (_state < Low)
        {
            var span = input.Span;
            while (_state < Low)
            {
                if (_position >= span.Length)
                {
                    throw new ArtifactException("an order-1 rANS stream ends before all its symbols were decoded");
                }
                _state = (_state << 8) | span[_position++];
            }
        }
        _previous = s;
        return s;
    }

    /// <summary>The same steps as <see cref="Next"/> over locals, for whole tensors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void DecodeAll(Span<byte> output)
    {
        if (_read + output.Length > count)
        {
            throw new ArtifactException("a stream was read past its declared symbol count");
        }
        var span = input.Span;
        var position = _position;
        var x = _state;
        var previous = _previous;
        // Unchecked table reads: previous and s are below the alphabet, a slot below the 2^12 entries of its context.
        ref var table = ref MemoryMarshal.GetArrayDataReference(lookup);
        ref var frequency = ref MemoryMarshal.GetArrayDataReference(frequencies);
        ref var start = ref MemoryMarshal.GetArrayDataReference(starts);
        for (var i = 0; i < output.Length; i++)
        {
            var slot = RansOrder1Coder.Slot(x);
            var s = Unsafe.Add(ref table, (previous << RansOrder1Coder.ScaleBits) + slot);
            var index = (previous << bits) + s;
            var f = Unsafe.Add(ref frequency, index);
            if (f == 0)
            {
                throw new ArtifactException("an order-1 rANS stream reaches a context or symbol its tables do not hold: the stream is corrupt");
            }
            x = f * (x >> RansOrder1Coder.ScaleBits) + (uint)slot - Unsafe.Add(ref start, index);
            while (x < Low)
            {
                if (position >= span.Length)
                {
                    throw new ArtifactException("an order-1 rANS stream ends before all its symbols were decoded");
                }
                x = (x << 8) | span[position++];
            }
            output[i] = s;
            previous = s;
        }
        _position = position;
        _state = x;
        _previous = previous;
        _read += output.Length;
    }

    public void Finish()
    {
        if (_read != count)
        {
            throw new ArtifactException($"a stream declares {count} symbols but {_read} were used");
        }
        if (_state != Low || _position != input.Length)
        {
            throw new ArtifactException("an order-1 rANS stream does not end where its symbols do: the stream is corrupt");
        }
    }
}
