using System.Buffers.Binary;
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

    /// <summary>The weight's real values in logical order, and the quantization step each one had.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (float[] Values, float[] Steps) Dequantize(QuantizedWeight w, ReadOnlySpan<byte> codes, ReadOnlySpan<byte> scaleBytes, ReadOnlySpan<byte> zeroBytes)
    {
        var (scales, zeros) = Groups(w, scaleBytes, zeroBytes);
        var values = new float[w.Count];
        var steps = new float[w.Count];
        var i = 0;
        for (long o = 0; o < w.Outer; o++)
        {
            for (long d = 0; d < w.Dim; d++)
            {
                for (long n = 0; n < w.Inner; n++)
                {
                    var slot = (o * w.PaddedDim + d) * w.Inner + n;
                    var g = w.GroupOf(o, d, n);
                    steps[i] = scales[g];
                    values[i++] = (Extract(codes, slot * w.SlotBits, w.SlotBits, w.Signed) - zeros[g]) * scales[g];
                }
            }
        }
        return (values, steps);
    }

    /// <summary>
    /// The symbols the target codes entry would hold if its weights were <paramref name="values"/> (base logical
    /// order, mapped by <paramref name="orientation"/>), quantized with the target's scales and zero points; and
    /// each code's context (0 for padding, else the half-octave of base step / target step, 1…15).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (byte[] Predicted, byte[] Context) Predict(QuantizedWeight target, TensorEntry entry, (float[] Values, float[] Steps) source,
        Orientation orientation, ReadOnlySpan<byte> scaleBytes, ReadOnlySpan<byte> zeroBytes)
    {
        var (values, steps) = source;
        var (scales, zeros) = Groups(target, scaleBytes, zeroBytes);
        var codes = new SymbolCodes(entry, target.SlotBits, target.Signed);
        var predicted = new byte[target.Slots];
        var context = new byte[target.Slots];
        var columns = target.Columns;
        var rows = target.Rows;
        for (long o = 0; o < target.Outer; o++)
        {
            for (long d = 0; d < target.PaddedDim; d++)
            {
                for (long n = 0; n < target.Inner; n++)
                {
                    var slot = (o * target.PaddedDim + d) * target.Inner + n;
                    var g = target.GroupOf(o, Math.Min(d, target.Dim - 1), n);
                    float x = zeros[g];
                    if (d < target.Dim)
                    {
                        var logical = (o * target.Dim + d) * target.Inner + n;
                        var from = orientation == Orientation.Same ? logical : (logical % columns) * rows + logical / columns;
                        x += values[from] / scales[g];
                        context[slot] = Context(steps[from] / scales[g]);
                    }
                    predicted[slot] = codes.Nearest(x);
                }
            }
        }
        return (predicted, context);
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
    public static int[] Counts(byte[] context)
    {
        var counts = new int[Contexts];
        foreach (var c in context)
        {
            counts[c]++;
        }
        return counts;
    }

    /// <summary>The symbols of each context, in order.</summary>
    public static byte[][] Split(byte[] symbols, byte[] context)
    {
        var counts = Counts(context);
        var streams = counts.Select(n => new byte[n]).ToArray();
        var filled = new int[Contexts];
        for (var i = 0; i < symbols.Length; i++)
        {
            var c = context[i];
            streams[c][filled[c]++] = symbols[i];
        }
        return streams;
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

    /// <summary>An integer of <paramref name="bits"/> (1–8) at a bit position, low bits first.</summary>
    private static int Extract(ReadOnlySpan<byte> bytes, long bitPosition, int bits, bool signed)
    {
        var index = (int)(bitPosition >> 3);
        var word = bytes[index] | (index + 1 < bytes.Length ? bytes[index + 1] << 8 : 0);
        var value = (word >> (int)(bitPosition & 7)) & ((1 << bits) - 1);
        return signed && value >= 1 << (bits - 1) ? value - (1 << bits) : value;
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
