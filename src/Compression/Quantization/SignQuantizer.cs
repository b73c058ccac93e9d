using System.Numerics.Tensors;

namespace FleetQuant.Compression.Quantization;

/// <summary>
/// Ternary (TWN, Li &amp; Liu 2016) and binary (XNOR-Net, Rastegari et al. 2016) weight kernels: every row of a
/// row-major matrix (one output channel) becomes sign codes times one scale α.
/// </summary>
public static class SignQuantizer
{
    /// <summary>TWN's threshold factor: Δ = 0.7 · mean|W| approximates the optimal ternary threshold.</summary>
    public const float TernaryThresholdFactor = 0.7f;

    /// <summary>
    /// Ternary codes per row: code 2 (+α) where w &gt; Δ, code 0 (−α) where w &lt; −Δ, code 1 (0) otherwise, with
    /// Δ = 0.7·mean|W| and α = mean(|W| where |W| &gt; Δ). The weight is <c>(code − 1) · α</c>.
    /// </summary>
    public static void Ternarize(ReadOnlySpan<float> weights, int rowLength, Span<int> codes, Span<float> alphas)
    {
        CheckShape(weights, rowLength, codes, alphas);
        for (var row = 0; row < alphas.Length; row++)
        {
            var w = weights.Slice(row * rowLength, rowLength);
            var c = codes.Slice(row * rowLength, rowLength);
            var delta = TernaryThresholdFactor * MeanAbs(w);
            var sum = 0.0;
            var count = 0;
            for (var i = 0; i < w.Length; i++)
            {
                var magnitude = MathF.Abs(w[i]);
                if (magnitude > delta)
                {
                    sum += magnitude;
                    count++;
                    c[i] = w[i] > 0 ? 2 : 0;
                }
                else
                {
                    c[i] = 1;
                }
            }
            // A row with nothing above the threshold is all zeros; any positive α reproduces it.
            alphas[row] = count > 0 ? (float)(sum / count) : 1f;
        }
    }

    /// <summary>
    /// Binary codes per row: code 1 (+α) where w ≥ 0, code 0 (−α) otherwise, with α = mean|W|.
    /// The weight is <c>(2·code − 1) · α</c>.
    /// </summary>
    public static void Binarize(ReadOnlySpan<float> weights, int rowLength, Span<int> codes, Span<float> alphas)
    {
        CheckShape(weights, rowLength, codes, alphas);
        for (var row = 0; row < alphas.Length; row++)
        {
            var w = weights.Slice(row * rowLength, rowLength);
            var c = codes.Slice(row * rowLength, rowLength);
            alphas[row] = MeanAbs(w);
            for (var i = 0; i < w.Length; i++)
            {
                c[i] = w[i] >= 0 ? 1 : 0;
            }
        }
    }

    private static float MeanAbs(ReadOnlySpan<float> row)
    {
        var mean = TensorPrimitives.SumOfMagnitudes(row) / row.Length;
        return float.IsFinite(mean) ? mean : throw new ArgumentException("weights contain NaN or infinity");
    }

    private static void CheckShape(ReadOnlySpan<float> weights, int rowLength, Span<int> codes, Span<float> alphas)
    {
        if (rowLength <= 0 || weights.Length != (long)rowLength * alphas.Length || codes.Length != weights.Length)
        {
            throw new ArgumentException($"{weights.Length} weights, {codes.Length} codes and {alphas.Length} scales do not form rows of {rowLength}");
        }
    }
}
