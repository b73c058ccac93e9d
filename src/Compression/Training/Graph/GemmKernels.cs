using System.Numerics.Tensors;

namespace FleetQuant.Compression.Training.Graph;

/// <summary>
/// Row-major float32 matrix products on <see cref="TensorPrimitives"/>, parallel over fixed row pieces. Each output
/// value is summed by one thread in index order, so products are deterministic.
/// </summary>
internal static class GemmKernels
{
    /// <summary>Wide products are cut into column blocks of this many values, so a block of B stays in cache across rows.</summary>
    private const int ColumnBlock = 512;

    /// <summary>
    /// C[m, n] (+)= alpha · Σ_k A[m, k] · B[k, n]: each C row is a sum of scaled B rows (SIMD over n). Wide products
    /// (im2col's [Ckk, N·plane]) run by column blocks. Either way each C value is summed over k in order, by one thread.
    /// </summary>
    public static void MultiplyNN(float[] a, int aOffset, float[] b, int bOffset, float[] c, int cOffset, int m, int k, int n, float alpha = 1f, bool accumulate = false)
    {
        if (n <= 2 * ColumnBlock)
        {
            FixedPartitions.For(m, (long)k * n, (start, end) => MultiplyRows(a, aOffset, b, bOffset, c, cOffset, start, end, 0, n, k, n, alpha, accumulate));
            return;
        }
        var blocks = (n + ColumnBlock - 1) / ColumnBlock;
        FixedPartitions.For(blocks, (long)m * k * ColumnBlock, (start, end) =>
        {
            for (var block = start; block < end; block++)
            {
                var first = block * ColumnBlock;
                MultiplyRows(a, aOffset, b, bOffset, c, cOffset, 0, m, first, Math.Min(n, first + ColumnBlock) - first, k, n, alpha, accumulate);
            }
        });
    }

    /// <summary>Rows [rowStart, rowEnd) of C, columns [first, first + width).</summary>
    private static void MultiplyRows(float[] a, int aOffset, float[] b, int bOffset, float[] c, int cOffset, int rowStart, int rowEnd, int first, int width, int k, int n, float alpha, bool accumulate)
    {
        for (var i = rowStart; i < rowEnd; i++)
        {
            var row = c.AsSpan(cOffset + i * n + first, width);
            if (!accumulate)
            {
                row.Clear();
            }
            var aRow = a.AsSpan(aOffset + i * k, k);
            for (var j = 0; j < k; j++)
            {
                // ReLU networks feed many exact zeros; skipping them changes no value.
                var scale = aRow[j];
                if (scale != 0f)
                {
                    TensorPrimitives.MultiplyAdd(b.AsSpan(bOffset + j * n + first, width), alpha * scale, row, row);
                }
            }
        }
    }

    /// <summary>C[m, n] (+)= alpha · Σ_k A[m, k] · B[n, k]: dot products of rows (SIMD over k).</summary>
    public static void MultiplyNT(float[] a, int aOffset, float[] b, int bOffset, float[] c, int cOffset, int m, int k, int n, float alpha = 1f, bool accumulate = false)
    {
        FixedPartitions.For(m, (long)k * n, (start, end) =>
        {
            for (var i = start; i < end; i++)
            {
                var aRow = a.AsSpan(aOffset + i * k, k);
                var row = c.AsSpan(cOffset + i * n, n);
                for (var j = 0; j < n; j++)
                {
                    var dot = alpha * TensorPrimitives.Dot(aRow, b.AsSpan(bOffset + j * k, k));
                    row[j] = accumulate ? row[j] + dot : dot;
                }
            }
        });
    }

    /// <summary>The [cols, rows] transpose of the [rows, cols] matrix at <paramref name="offset"/>.</summary>
    public static float[] Transpose(float[] source, int offset, int rows, int cols)
    {
        var result = new float[rows * cols];
        for (var r = 0; r < rows; r++)
        {
            var row = source.AsSpan(offset + r * cols, cols);
            for (var c = 0; c < cols; c++)
            {
                result[c * rows + r] = row[c];
            }
        }
        return result;
    }
}
