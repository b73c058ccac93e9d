using System.Numerics.Tensors;

namespace FleetQuant.Compression.Quantization;

/// <summary>
/// The affine quantization kernel: splits each row of a row-major weight matrix into groups and maps every
/// group onto <c>2^bits</c> integer codes with one scale and one zero point, so that
/// <c>w ≈ (code − zeroPoint) · scale</c>. Codes are unsigned (<c>0 ≤ code &lt; 2^bits</c>); a symmetric group has
/// its zero point at <c>2^(bits−1)</c> and uses codes 1 … 2^bits−1. Zero is always exactly representable, so
/// pruned weights stay zero.
/// </summary>
public static class WeightQuantizer
{
    /// <summary>Number of groups <see cref="Quantize"/> produces for a weight of <paramref name="length"/> values.</summary>
    public static int GroupCount(int length, int rowLength, int groupSize) =>
        length / rowLength * ((rowLength + groupSize - 1) / groupSize);

    /// <summary>
    /// Quantizes <paramref name="weights"/> (rows of <paramref name="rowLength"/> values, each split into groups of
    /// <paramref name="groupSize"/>; a row's last group may be shorter) to <paramref name="bits"/>-bit codes.
    /// Per-tensor quantization is one row with one group; per-channel is one group per row.
    /// </summary>
    /// <param name="scales">One scale per group, in row-major group order.</param>
    /// <param name="zeroPoints">One zero-point code per group.</param>
    /// <exception cref="ArgumentException">Shapes do not agree, or a group holds NaN or infinity.</exception>
    public static void Quantize(
        ReadOnlySpan<float> weights,
        int rowLength,
        int groupSize,
        int bits,
        bool symmetric,
        Span<int> codes,
        Span<float> scales,
        Span<int> zeroPoints)
    {
        if (bits is < 2 or > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "quantization supports 2 to 8 bits");
        }
        if (rowLength <= 0 || groupSize <= 0 || weights.Length % rowLength != 0)
        {
            throw new ArgumentException($"{weights.Length} weights do not split into rows of {rowLength} and groups of {groupSize}");
        }
        var groups = GroupCount(weights.Length, rowLength, groupSize);
        if (codes.Length != weights.Length || scales.Length != groups || zeroPoints.Length != groups)
        {
            throw new ArgumentException($"expected {weights.Length} codes and {groups} scales and zero points");
        }

        var group = 0;
        for (var rowStart = 0; rowStart < weights.Length; rowStart += rowLength)
        {
            for (var offset = 0; offset < rowLength; offset += groupSize, group++)
            {
                var length = Math.Min(groupSize, rowLength - offset);
                var start = rowStart + offset;
                var (scale, zeroPoint) = symmetric
                    ? SymmetricRange(weights.Slice(start, length), bits)
                    : AsymmetricRange(weights.Slice(start, length), bits);
                scales[group] = scale;
                zeroPoints[group] = zeroPoint;
                QuantizeGroup(weights.Slice(start, length), codes.Slice(start, length), 1 / scale, zeroPoint, symmetric ? 1 : 0, (1 << bits) - 1);
            }
        }
    }

    /// <summary>Turns codes back into floats: <c>(code − zeroPoint) · scale</c> per group (the inverse of <see cref="Quantize"/>).</summary>
    public static void Dequantize(ReadOnlySpan<int> codes, int rowLength, int groupSize, ReadOnlySpan<float> scales, ReadOnlySpan<int> zeroPoints, Span<float> values)
    {
        var group = 0;
        for (var rowStart = 0; rowStart < codes.Length; rowStart += rowLength)
        {
            for (var offset = 0; offset < rowLength; offset += groupSize, group++)
            {
                var end = rowStart + Math.Min(offset + groupSize, rowLength);
                for (var i = rowStart + offset; i < end; i++)
                {
                    values[i] = (codes[i] - zeroPoints[group]) * scales[group];
                }
            }
        }
    }

    private static (float Scale, int ZeroPoint) SymmetricRange(ReadOnlySpan<float> group, int bits)
    {
        var absMax = MathF.Abs(TensorPrimitives.MaxMagnitude(group));
        RequireFinite(absMax);
        var half = (1 << (bits - 1)) - 1;
        // An all-zero group needs any positive scale: every code is the zero point.
        return (absMax > 0 ? absMax / half : 1f, 1 << (bits - 1));
    }

    private static (float Scale, int ZeroPoint) AsymmetricRange(ReadOnlySpan<float> group, int bits)
    {
        // The range always includes 0 so that zero (a pruned weight) has an exact code.
        var min = MathF.Min(TensorPrimitives.Min(group), 0);
        var max = MathF.Max(TensorPrimitives.Max(group), 0);
        RequireFinite(min);
        RequireFinite(max);
        var top = (1 << bits) - 1;
        if (max - min <= 0)
        {
            return (1f, 0);
        }
        var scale = (max - min) / top;
        var zeroPoint = Math.Clamp((int)MathF.Round(-min / scale), 0, top);
        return (scale, zeroPoint);
    }

    private static void RequireFinite(float value)
    {
        if (!float.IsFinite(value))
        {
            throw new ArgumentException("weights contain NaN or infinity");
        }
    }

    private static void QuantizeGroup(ReadOnlySpan<float> weights, Span<int> codes, float inverseScale, int zeroPoint, int low, int high)
    {
        for (var i = 0; i < weights.Length; i++)
        {
            var code = (int)MathF.Round(weights[i] * inverseScale) + zeroPoint;
            codes[i] = Math.Clamp(code, low, high);
        }
    }
}
