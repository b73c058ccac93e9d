using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FleetQuant.Compression.Artifacts;

/// <summary>
/// Static order-0 rANS (byte-wise renormalisation, 32-bit state, 14-bit frequencies): one table lookup per
/// symbol to decode, against eight dependent binary decisions for the range coder. Stream layout: a varint
/// frequency per symbol of the alphabet (summing to 2^14), the final state as 4 big-endian bytes, then the
/// renormalisation bytes. Decoding must end in the encoder's initial state with every byte used.
/// </summary>
internal static class RansCoder
{
    public const int ScaleBits = 14;
    private const int Total = 1 << ScaleBits;
    private const uint Low = 1u << 23;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static byte[] Encode(ReadOnlySpan<byte> symbols, int bits)
    {
        var alphabet = 1 << bits;
        var counts = new long[alphabet];
        foreach (var s in symbols)
        {
            counts[s]++;
        }
        var frequencies = Normalize(counts, symbols.Length, Total);
        var starts = new int[alphabet];
        for (var s = 1; s < alphabet; s++)
        {
            starts[s] = starts[s - 1] + frequencies[s - 1];
        }

        // rANS codes last-in first-out: code backwards, emit bytes backwards, reverse once at the end.
        // Scratch from the pool: a long stream's would land on the large-object heap on every trial encode.
        var scratch = ArrayPool<byte>.Shared.Rent(symbols.Length + 16);
        var reversed = scratch;
        var written = 0;
        var x = Low;
        for (var i = symbols.Length - 1; i >= 0; i--)
        {
            var s = symbols[i];
            var f = (uint)frequencies[s];
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
            x = ((x / f) << ScaleBits) + (x % f) + (uint)starts[s];
        }

        var header = new WireWriter();
        foreach (var f in frequencies)
        {
            header.Varint((ulong)f);
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

    /// <summary>Frequencies summing to <paramref name="scale"/>, every symbol that occurs keeping at least 1.</summary>
    internal static int[] Normalize(ReadOnlySpan<long> counts, long total, int scale)
    {
        var frequencies = new int[counts.Length];
        if (total == 0)
        {
            frequencies[0] = scale;
            return frequencies;
        }
        var sum = 0;
        var largest = 0;
        for (var s = 0; s < counts.Length; s++)
        {
            if (counts[s] == 0)
            {
                continue;
            }
            frequencies[s] = (int)Math.Max(1, counts[s] * scale / total);
            sum += frequencies[s];
            largest = counts[s] > counts[largest] ? s : largest;
        }
        // Rounding leaves the sum off by a little; the largest symbol absorbs it, then any excess is taken
        // from the other big ones so nothing drops below 1.
        frequencies[largest] += scale - sum;
        while (frequencies[largest] < 1)
        {
            var donor = Array.IndexOf(frequencies, frequencies.Where((f, s) => s != largest).Max());
            var give = Math.Min(frequencies[donor] - 1, 1 - frequencies[largest]);
            frequencies[donor] -= give;
            frequencies[largest] += give;
        }
        return frequencies;
    }

    /// <summary>Reads the frequency table and initial state; all later reads are symbols.</summary>
    public static RansDecoder Open(ReadOnlyMemory<byte> data, long count, int bits)
    {
        var alphabet = 1 << bits;
        var r = new WireReader(data.Span, m => new ArtifactException("rANS stream: " + m));
        var lookup = new byte[Total];
        var frequencies = new ushort[alphabet];
        var starts = new ushort[alphabet];
        var start = 0;
        for (var s = 0; s < alphabet; s++)
        {
            var f = (int)r.Bounded("symbol frequency", Total - start);
            frequencies[s] = (ushort)f;
            starts[s] = (ushort)start;
            lookup.AsSpan(start, f).Fill((byte)s);
            start += f;
        }
        if (start != Total)
        {
            throw new ArtifactException($"rANS stream: symbol frequencies add up to {start}, not {Total}");
        }
        var x = (uint)r.Byte("state") << 24 | (uint)r.Byte("state") << 16 | (uint)r.Byte("state") << 8 | r.Byte("state");
        if (x < Low)
        {
            throw new ArtifactException("rANS stream: initial state is out of range");
        }
        return new RansDecoder(data[(data.Length - r.Remaining)..], lookup, frequencies, starts, x, count);
    }

    /// <summary>Decodes a whole stream in one loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Decode(ReadOnlyMemory<byte> data, Span<byte> output, int bits)
    {
        var decoder = Open(data, output.Length, bits);
        decoder.DecodeAll(output);
        decoder.Finish();
    }
}

/// <summary>Decodes an <see cref="RansCoder"/> stream one symbol at a time (the streaming unpack path).</summary>
internal sealed class RansDecoder(ReadOnlyMemory<byte> input, byte[] lookup, ushort[] frequencies, ushort[] starts, uint state, long count) : ISymbolReader
{
    private const uint Low = 1u << 23;
    private const int Mask = (1 << RansCoder.ScaleBits) - 1;
    private int _position;
    private uint _state = state;
    private long _read;

    public int Next()
    {
        if (_read++ >= count)
        {
            throw new ArtifactException("a stream was read past its declared symbol count");
        }
        var slot = (int)(_state & Mask);
        var s = lookup[slot];
        _state = frequencies[s] * (_state >> RansCoder.ScaleBits) + (uint)slot - starts[s];
        if (_state < Low)
        {
            var span = input.Span;
            while (_state < Low)
            {
                if (_position >= span.Length)
                {
                    throw new ArtifactException("a rANS stream ends before all its symbols were decoded");
                }
                _state = (_state << 8) | span[_position++];
            }
        }
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
        // Unchecked table reads: a slot is masked below the table's 2^14 entries and a symbol is below the alphabet.
        ref var table = ref MemoryMarshal.GetArrayDataReference(lookup);
        ref var frequency = ref MemoryMarshal.GetArrayDataReference(frequencies);
        ref var start = ref MemoryMarshal.GetArrayDataReference(starts);
        for (var i = 0; i < output.Length; i++)
        {
            var slot = (int)(x & Mask);
            var s = Unsafe.Add(ref table, slot);
            x = Unsafe.Add(ref frequency, s) * (x >> RansCoder.ScaleBits) + (uint)slot - Unsafe.Add(ref start, s);
            while (x < Low)
            {
                if (position >= span.Length)
                {
                    throw new ArtifactException("a rANS stream ends before all its symbols were decoded");
                }
                x = (x << 8) | span[position++];
            }
            output[i] = s;
        }
        _position = position;
        _state = x;
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
            throw new ArtifactException("a rANS stream does not end where its symbols do: the stream is corrupt");
        }
    }
}
