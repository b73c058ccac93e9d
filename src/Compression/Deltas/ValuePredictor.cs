using System.Buffers;
using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using FleetQuant.Compression.Artifacts;

namespace FleetQuant.Compression.Deltas;

/// <summary>
/// Predicts a quantized tensor's codes from another quantization of (nearly) the same weights: the base codes are
/// dequantized with the base's scales and zero points, then quantized again with the target's. A recipe change
/// (4-bit → 8-bit) then leaves residuals of a few codes instead of whole 8-bit codes. Encoder and decoder run
/// exactly this arithmetic (IEEE single precision, round half to even), so the prediction is the same on both.
/// </summary>
internal static class ValuePredictor
{
    /// <summary>How target logical elements map onto base logical elements.</summary>
    public enum Orientation : byte
    {
        Same = 0,

        /// <summary>The target matrix is the base matrix transposed (MatMulNBits [N, K] against a MatMul [K, N] weight).</summary>
        Transposed = 1,
    }

    public static bool Fits(QuantizedWeight source, QuantizedWeight target, Orientation orientation) => orientation switch
    {
        Orientation.Same => source.Count == target.Count,
        Orientation.Transposed => source.Count == target.Count && source.Rows == target.Columns && source.Columns == target.Rows,
        _ => false,
    };

    /// <summary>
    /// Residuals are coded in this many streams, chosen per code by the ratio of the base's step (scale) to the
    /// target's in half octaves: a 4-bit step spans ~10 8-bit steps, and residuals spread as wide as that ratio,
    /// so each stream gets the statistics of its own spread.
    /// </summary>
    public const int Contexts = 16;

    /// <summary>
    /// The weight's real values in logical order, and the quantization step each one had. <paramref name="codes"/> is
    /// the codes tensor's runtime bytes, or with <paramref name="onePerSlot"/> one byte per code slot (its low
    /// <see cref="QuantizedWeight.SlotBits"/> bits), which a codes entry's symbols give without packing them first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static WeightValues Dequantize(QuantizedWeight w, ReadOnlySpan<byte> codes, ReadOnlySpan<byte> scaleBytes, ReadOnlySpan<byte> zeroBytes,
        bool onePerSlot = false, bool pooled = false)
    {
        var (scales, zeros) = Groups(w, scaleBytes, zeroBytes);
        var groups = new GroupMap(w, w.Dim);
        var dequantized = new WeightValues(w.Count, pooled);
        var values = dequantized.Values;
        var steps = dequantized.Steps;
        var i = 0;
        for (long o = 0; o < w.Outer; o++)
        {
            for (long d = 0; d < w.Dim; d++)
            {
                var slot = (o * w.PaddedDim + d) * w.Inner;
                var g = o * groups.OuterStride + groups.Along[d];
                for (long n = 0; n < w.Inner; n++, slot++, g += groups.InnerStride, i++)
                {
                    var scale = scales[g];
                    steps[i] = scale;
                    var code = onePerSlot ? SignExtend(codes[(int)slot], w.SlotBits, w.Signed) : Extract(codes, slot * w.SlotBits, w.SlotBits, w.Signed);
                    values[i] = (code - zeros[g]) * scale;
                }
            }
        }
        return dequantized;
    }

    /// <summary>
    /// The symbols the target codes entry would hold if its weights were <paramref name="source"/>'s values (base
    /// logical order, mapped by <paramref name="orientation"/>), quantized with the target's scales and zero points; and
    /// each code's context (0 for padding, else the half-octave of base step / target step, 1…15), written to the first
    /// <see cref="QuantizedWeight.Slots"/> bytes of <paramref name="predicted"/> and <paramref name="context"/>. With
    /// <paramref name="split"/> (the encoder) large weights are done in row ranges on several threads; each slot is
    /// computed the same way whichever thread does it. Patching stays on its one thread.
    /// </summary>
    public static void Predict(QuantizedWeight target, TensorEntry entry, WeightValues source, Orientation orientation,
        ReadOnlySpan<byte> scaleBytes, ReadOnlySpan<byte> zeroBytes, byte[] predicted, byte[] context, bool split = false)
    {
        var slots = checked((int)target.Slots);
        if (predicted.Length < slots || context.Length < slots)
        {
            throw new ArgumentException($"prediction buffers need {slots} bytes", nameof(predicted));
        }
        var (scales, zeros) = Groups(target, scaleBytes, zeroBytes);
        var rows = new PredictionRows(target, source, orientation, scales, zeros, new GroupMap(target, target.PaddedDim),
            new SymbolCodes(entry, target.SlotBits, target.Signed), predicted, context);
        var rowCount = target.Outer * target.PaddedDim;
        if (!split || slots < 8 * ParallelWork.MinSplitWork)
        {
            rows.Fill(0, rowCount);
            return;
        }
        const int parts = 4;
        ParallelWork.ForEach(Enumerable.Range(0, parts), p => rows.Fill(rowCount * p / parts, rowCount * (p + 1) / parts));
    }

    /// <summary>
    /// Turns <paramref name="predicted"/> into the residuals (actual − predicted) mod 2^bits, in place, and returns
    /// their total distance from zero (to compare orientations).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long ToResidual(ReadOnlySpan<byte> actual, Span<byte> predicted, int bits)
    {
        var mask = (1 << bits) - 1;
        var shift = 32 - bits;
        actual = actual[..predicted.Length];
        long cost = 0;
        for (var i = 0; i < predicted.Length; i++)
        {
            var r = (actual[i] - predicted[i]) & mask;
            predicted[i] = (byte)r;
            // min(r, 2^bits − r) is |r read as a signed bits-wide value|; computed without branches, since residual
            // signs are as good as random and a mispredicted branch per code would cost more than the rest.
            var signed = (r << shift) >> shift;
            cost += (signed ^ (signed >> 31)) - (signed >> 31);
        }
        return cost;
    }

    /// <summary>
    /// 1 + twice the base-2 logarithm of the step ratio, clamped to 1…15, read from the float's exponent and
    /// mantissa (no transcendental functions, so every platform agrees).
    /// </summary>
    private static byte Context(float ratio)
    {
        if (!(ratio >= 1f) || float.IsInfinity(ratio))
        {
            return 1;
        }
        var bits = BitConverter.SingleToInt32Bits(ratio);
        var halfOctaves = 2 * (((bits >> 23) & 0xFF) - 127) + ((bits & 0x7FFFFF) >= 0x3504F3 ? 1 : 0);
        return (byte)Math.Min(1 + halfOctaves, Contexts - 1);
    }

    /// <summary>How many codes fall in each context.</summary>
    public static int[] Counts(ReadOnlySpan<byte> context)
    {
        var counts = new int[Contexts];
        foreach (var c in context)
        {
            counts[c]++;
        }
        return counts;
    }

    /// <summary>
    /// The symbols of each context, in order, laid end to end in <paramref name="streams"/> (context 0's first); returns
    /// how many each context has.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int[] Split(ReadOnlySpan<byte> symbols, ReadOnlySpan<byte> context, Span<byte> streams)
    {
        context = context[..symbols.Length];
        var counts = Counts(context);
        Span<int> next = stackalloc int[Contexts];
        for (int c = 0, start = 0; c < Contexts; start += counts[c], c++)
        {
            next[c] = start;
        }
        for (var i = 0; i < symbols.Length; i++)
        {
            streams[next[context[i]]++] = symbols[i];
        }
        return counts;
    }

    private static (float[] Scales, int[] Zeros) Groups(QuantizedWeight w, ReadOnlySpan<byte> scaleBytes, ReadOnlySpan<byte> zeroBytes)
    {
        var scales = new float[w.Groups];
        var zeros = new int[w.Groups];
        for (var g = 0; g < scales.Length; g++)
        {
            scales[g] = BinaryPrimitives.ReadSingleLittleEndian(scaleBytes[(g * 4)..]);
            zeros[g] = w.Zero < 0 ? w.DefaultZero : Extract(zeroBytes, w.ZeroBitPosition(g), w.ZeroBits, w.ZeroSigned);
        }
        return (scales, zeros);
    }

    /// <summary>
    /// A weight's real values in logical order and the quantization step of each. Pooled buffers for the encoder,
    /// which dequantizes weight after weight; exact ones for patching, where the device's peak memory is what counts
    /// (the pool rounds sizes up to powers of two and keeps what it is given back).
    /// </summary>
    public sealed class WeightValues : IDisposable
    {
        private readonly int _count;
        private readonly bool _pooled;
        private float[]? _values;
        private float[]? _steps;

        public WeightValues(long count, bool pooled)
        {
            _count = checked((int)count);
            _pooled = pooled;
            _values = pooled ? ArrayPool<float>.Shared.Rent(_count) : new float[_count];
            _steps = pooled ? ArrayPool<float>.Shared.Rent(_count) : new float[_count];
        }

        public Span<float> Values => _values.AsSpan(0, _count);

        public Span<float> Steps => _steps.AsSpan(0, _count);

        public void Dispose()
        {
            if (_pooled && _values is not null && _steps is not null)
            {
                ArrayPool<float>.Shared.Return(_values);
                ArrayPool<float>.Shared.Return(_steps);
            }
            _values = null;
            _steps = null;
        }
    }

    /// <summary>Everything one prediction reads and writes, so ranges of its rows can be filled independently.</summary>
    private sealed class PredictionRows(QuantizedWeight target, WeightValues source, Orientation orientation, float[] scales, int[] zeros,
        GroupMap groups, SymbolCodes codes, byte[] predicted, byte[] context)
    {
        /// <summary>Fills rows [<paramref name="start"/>, <paramref name="end"/>) of the Outer × PaddedDim row space.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Fill(long start, long end)
        {
            ReadOnlySpan<float> values = source.Values;
            ReadOnlySpan<float> steps = source.Steps;
            var columns = target.Columns;
            var rows = target.Rows;
            var transposed = orientation == Orientation.Transposed;
            // o and d stepped along, not divided out per row: with Inner = 1 every element is a row.
            var o = start / target.PaddedDim;
            var d = start % target.PaddedDim;
            for (var r = start; r < end; r++, d++)
            {
                if (d == target.PaddedDim)
                {
                    d = 0;
                    o++;
                }
                var slot = (int)((o * target.PaddedDim + d) * target.Inner);
                var g = o * groups.OuterStride + groups.Along[d];
                if (d >= target.Dim)
                {
                    // Padding past the weight's last row: the zero point itself.
                    for (long n = 0; n < target.Inner; n++, slot++, g += groups.InnerStride)
                    {
                        predicted[slot] = codes.Nearest(zeros[g]);
                        context[slot] = 0;
                    }
                    continue;
                }
                // Logical index of (o, d, 0), and (transposed) its column and row in the base matrix, stepped along n.
                var logical = (o * target.Dim + d) * target.Inner;
                var column = transposed ? logical % columns : 0;
                var row = transposed ? logical / columns : 0;
                for (long n = 0; n < target.Inner; n++, slot++, g += groups.InnerStride, logical++)
                {
                    var from = (int)logical;
                    if (transposed)
                    {
                        from = (int)(column * rows + row);
                        if (++column == columns)
                        {
                            column = 0;
                            row++;
                        }
                    }
                    float x = zeros[g];
                    x += values[from] / scales[g];
                    context[slot] = Context(steps[from] / scales[g]);
                    predicted[slot] = codes.Nearest(x);
                }
            }
        }
    }

    /// <summary>
    /// Where a weight's groups (scales, zero points) sit: group of (o, d, n) = o × <see cref="OuterStride"/> +
    /// <see cref="Along"/>[d] + n × <see cref="InnerStride"/>, the same as <see cref="QuantizedWeight.GroupOf"/> but
    /// without a division per element. Rows past the weight's last (padding) use the last row's group.
    /// </summary>
    private readonly struct GroupMap
    {
        public GroupMap(QuantizedWeight w, long alongLength)
        {
            var blocked = w.Sharing == ScaleSharing.Blocked;
            OuterStride = blocked ? (w.Dim + w.Block - 1) / w.Block * w.Inner : 0;
            InnerStride = blocked ? 1 : 0;
            Along = new long[alongLength];
            for (long d = 0; d < alongLength; d++)
            {
                Along[d] = w.GroupOf(0, Math.Min(d, w.Dim - 1), 0);
            }
        }

        public long OuterStride { get; }

        public long InnerStride { get; }

        public long[] Along { get; }
    }

    /// <summary>An integer of <paramref name="bits"/> (1–8) at a bit position, low bits first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Extract(ReadOnlySpan<byte> bytes, long bitPosition, int bits, bool signed)
    {
        var index = (int)(bitPosition >> 3);
        var word = bytes[index] | (index + 1 < bytes.Length ? bytes[index + 1] << 8 : 0);
        return SignExtend((word >> (int)(bitPosition & 7)) & ((1 << bits) - 1), bits, signed);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SignExtend(int value, int bits, bool signed) => signed && value >= 1 << (bits - 1) ? value - (1 << bits) : value;

    /// <summary>
    /// A codes entry's slot values, one byte per slot: (symbol + offset) masked to the slot width, as the runtime
    /// tensor packs them. Only for an entry whose symbols are the weight's slots (<see cref="OpPlanner.Predictable"/>).
    /// </summary>
    public static void SlotValues(TensorEntry entry, ReadOnlySpan<byte> symbols, Span<byte> slots)
    {
        slots = slots[..symbols.Length];
        TensorPrimitives.Add(symbols, (byte)entry.Offset, slots);
        TensorPrimitives.BitwiseAnd(slots, (byte)((1 << TensorEntry.PackBits(entry.Layout)) - 1), slots);
    }

    /// <summary>Maps integer values to the symbols of a codes entry (runtime slot = symbol + offset, masked).</summary>
    private sealed class SymbolCodes
    {
        private readonly byte[] _symbolOf;
        private readonly int _min;

        public SymbolCodes(TensorEntry entry, int slotBits, bool signed)
        {
            var slotMask = (1 << slotBits) - 1;
            var symbols = 1 << entry.Bits;
            var values = new int[symbols];
            for (var s = 0; s < symbols; s++)
            {
                var slot = (s + entry.Offset) & slotMask;
                values[s] = signed && slot >= 1 << (slotBits - 1) ? slot - (1 << slotBits) : slot;
            }
            _min = values.Min();
            _symbolOf = new byte[values.Max() - _min + 1];
            var filled = new bool[_symbolOf.Length];
            for (var s = symbols - 1; s >= 0; s--)
            {
                _symbolOf[values[s] - _min] = (byte)s;
                filled[values[s] - _min] = true;
            }
            // Values no symbol reaches (unusual offsets) predict their lower neighbour's symbol.
            for (var v = 1; v < _symbolOf.Length; v++)
            {
                if (!filled[v])
                {
                    _symbolOf[v] = _symbolOf[v - 1];
                }
            }
        }

        public byte Nearest(float x)
        {
            var max = _min + _symbolOf.Length - 1;
            // Written so NaN lands on the minimum.
            var clamped = x >= _min ? Math.Min(x, max) : _min;
            return _symbolOf[(int)MathF.Round(clamped) - _min];
        }
    }
}
