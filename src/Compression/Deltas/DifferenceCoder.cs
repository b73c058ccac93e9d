using System.Runtime.CompilerServices;
using FleetQuant.Compression.Artifacts;

namespace FleetQuant.Compression.Deltas;

/// <summary>
/// Codes a delta's difference and residual streams with the smallest of stored, rANS and the range coders, running
/// only the coders cheap entropy bounds say could win (encode time counts here; zstd never wins on skewed
/// differences). Differences (mostly 0 and ±1) go to the signed range coder first; rANS is tried only if its order-0
/// bound plus its frequency table beats the best so far, the order-1 coders only if the order-1 bound, less what
/// adaptation gains, does.
/// The stored form is sized without packing it, and the order-1 statistics touch only contexts that occur.
/// </summary>
internal static class DifferenceCoder
{
    /// <summary>Short streams never repay an order-1 model's learning.</summary>
    private const int MinOrder1Symbols = 4096;

    /// <summary>Below this share of 0 and ±1 symbols a stream is not a difference; the signed coder is not tried.</summary>
    private const double MinSmallShare = 0.5;

    /// <summary>An adaptive order-1 model ends up to ~8 % below its stream's static order-1 entropy (drifting statistics).</summary>
    private const double AdaptiveGain = 0.92;

    /// <summary>Pair counts for order-1 bounds (two tables), kept all-zero between uses (only the rows a stream touched are cleared).</summary>
    [ThreadStatic]
    private static int[]? t_pairs;

    public static (StreamCodec Codec, byte[] Data) Encode(ReadOnlySpan<byte> symbols, int bits)
    {
        var best = new Best(StreamCoder.PackedLength(symbols.Length, bits));
        if (!symbols.IsEmpty)
        {
            var longStream = symbols.Length >= MinOrder1Symbols;
            var (order0, order1, small) = EntropyBits(symbols, bits, order1: longStream);
            if (small >= MinSmallShare * symbols.Length)
            {
                best.Keep(StreamCodec.RangeSigned, symbols, bits);
            }
            // rANS writes a frequency varint per symbol of the alphabet (at least a byte each) before data no shorter than
            // the order-0 bound (less the 4 state bytes, which the header also holds): below that it cannot win.
            if (order0 + 8.0 * (1 << bits) < 8.0 * best.Length)
            {
                best.Keep(StreamCodec.Rans, symbols, bits);
            }
            if (!longStream)
            {
                best.Keep(StreamCodec.RangeOrder0, symbols, bits);
            }
            // Adaptive models pay to learn: a context-rich order-1 model pays most, so it must promise a clear win.
            else if (order1 < 0.9 * order0 && order1 * AdaptiveGain < 8.0 * best.Length)
            {
                if (bits <= RansOrder1Coder.MaxBits && order1 < 8.0 * best.Length)
                {
                    best.Keep(StreamCodec.RansOrder1, symbols, bits);
                }
                best.Keep(StreamCodec.RangeOrder1, symbols, bits);
            }
        }
        return (best.Codec, best.Data ?? StreamCoder.Pack(symbols, bits));
    }

    /// <summary>
    /// Total bits of the symbols under their own order-0 and (when asked) order-1 (previous-symbol context)
    /// statistics, and how many symbols are 0 or ±1 read as signed values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Order0, double Order1, long Small) EntropyBits(ReadOnlySpan<byte> symbols, int bits, bool order1)
    {
        var alphabet = 1 << bits;
        var counts = new int[alphabet];
        if (!order1)
        {
            foreach (var s in symbols)
            {
                counts[s]++;
            }
            return (Order0Bits(counts, symbols.Length), double.MaxValue, SmallCount(counts, bits));
        }
        var contexts = bits == 1 ? 256 : alphabet;
        // Two halves counted in one loop, each into its own table: differences are mostly one pair (0 after 0), and a
        // single table would make every increment wait for the previous one to the same counter.
        var pairs = t_pairs ??= new int[2 * 256 * 256];
        var second = pairs.AsSpan(256 * 256);
        var rowTotals = new int[2 * contexts];
        var half = symbols.Length / 2;
        var history = 0;
        var secondHistory = HistoryBefore(symbols, half, bits);
        for (var i = 0; i < half; i++)
        {
            var s = symbols[i];
            var t = symbols[half + i];
            pairs[history * alphabet + s]++;
            second[secondHistory * alphabet + t]++;
            rowTotals[history]++;
            rowTotals[contexts + secondHistory]++;
            history = Next(history, s, bits);
            secondHistory = Next(secondHistory, t, bits);
        }
        for (var i = 2 * half; i < symbols.Length; i++)
        {
            var t = symbols[i];
            second[secondHistory * alphabet + t]++;
            rowTotals[contexts + secondHistory]++;
            secondHistory = Next(secondHistory, t, bits);
        }
        double order1Bits = 0;
        for (var c = 0; c < contexts; c++)
        {
            var rowTotal = rowTotals[c] + rowTotals[contexts + c];
            if (rowTotal == 0)
            {
                continue;
            }
            var row = pairs.AsSpan(c * alphabet, alphabet);
            var secondRow = second.Slice(c * alphabet, alphabet);
            for (var v = 0; v < alphabet; v++)
            {
                var n = row[v] + secondRow[v];
                if (n == 0)
                {
                    continue;
                }
                counts[v] += n;
                // Each pair seen also costs its learning (~bits bits): without that, a short 8-bit stream spread over
                // 65536 pairs would look nearly free under its own order-1 statistics.
                order1Bits += n * Math.Log2((double)rowTotal / n) + bits;
            }
            row.Clear();
            secondRow.Clear();
        }
        return (Order0Bits(counts, symbols.Length), order1Bits, SmallCount(counts, bits));
    }

    /// <summary>The order-1 context after symbols 0…<paramref name="end"/>−1: the previous symbol, or for 1-bit streams the last eight.</summary>
    private static int HistoryBefore(ReadOnlySpan<byte> symbols, int end, int bits)
    {
        var history = 0;
        // Older 1-bit symbols have been shifted out of the eight-bit history; wider ones out of the one-symbol history.
        for (var i = Math.Max(0, end - (bits == 1 ? 8 : 1)); i < end; i++)
        {
            history = Next(history, symbols[i], bits);
        }
        return history;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Next(int history, int symbol, int bits) => bits == 1 ? ((history << 1) | symbol) & 0xFF : symbol;

    private static double Order0Bits(int[] counts, int total)
    {
        double bits = 0;
        foreach (var n in counts)
        {
            bits += n == 0 ? 0 : n * Math.Log2((double)total / n);
        }
        return bits;
    }

    private static long SmallCount(int[] counts, int bits)
    {
        long small = 0;
        for (var s = 0; s < counts.Length; s++)
        {
            small += SignedRangeCoding.Magnitude(s, bits) <= 2 ? counts[s] : 0;
        }
        return small;
    }

    /// <summary>The smallest coding so far; stored (not yet packed) until a coder beats it.</summary>
    private struct Best(long storedLength)
    {
        public StreamCodec Codec { get; private set; } = StreamCodec.Stored;

        public byte[]? Data { get; private set; }

        public readonly long Length => Data?.Length ?? storedLength;

        public void Keep(StreamCodec codec, ReadOnlySpan<byte> symbols, int bits)
        {
            var data = StreamCoder.Encode(symbols, bits, codec);
            if (data.Length < Length)
            {
                (Codec, Data) = (codec, data);
            }
        }
    }
}
