using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;

namespace FleetQuant.Compression.Quantization;

/// <summary>
/// A weight seen as [output channels, reduction] in row-major order, so every quantizer walks one channel
/// contiguously. Conv [M, C, k…] and Gemm transB [N, K] already are; MatMul [K, N] is transposed here and
/// transposed back with <see cref="ToStorageOrder{T}"/>.
/// </summary>
internal sealed class ChannelMatrix
{
    private ChannelMatrix(float[] values, int channels, int rowLength, bool transposed)
    {
        Values = values;
        Channels = channels;
        RowLength = rowLength;
        Transposed = transposed;
    }

    public float[] Values { get; }

    public int Channels { get; }

    /// <summary>Values per channel: the reduction length (K for MatMul/Gemm, C·k·k for Conv).</summary>
    public int RowLength { get; }

    /// <summary>True when the stored weight is [reduction, channels] (MatMul B).</summary>
    public bool Transposed { get; }

    public static ChannelMatrix From(WeightRef weight)
    {
        var stored = TensorData.ReadFloats(weight.Tensor);
        var channels = checked((int)weight.OutputChannels);
        if (channels == 0 || stored.Length == 0)
        {
            throw new OnnxModelException($"weight '{weight.Name}' is empty");
        }
        var rowLength = stored.Length / channels;
        return weight.Role == WeightRole.MatMulWeight
            ? new ChannelMatrix(Transpose(stored, rowLength, channels), channels, rowLength, transposed: true)
            : new ChannelMatrix(stored, channels, rowLength, transposed: false);
    }

    /// <summary>Channel-major values (codes, or per-channel group scales) back in the weight's stored order.</summary>
    public T[] ToStorageOrder<T>(T[] channelMajor, int perChannel) =>
        Transposed ? Transpose(channelMajor, Channels, perChannel) : channelMajor;

    /// <summary>[rows, columns] row-major → [columns, rows] row-major.</summary>
    public static T[] Transpose<T>(T[] values, int rows, int columns)
    {
        var result = new T[values.Length];
        for (var r = 0; r < rows; r++)
        {
            var source = r * columns;
            for (var c = 0; c < columns; c++)
            {
                result[c * rows + r] = values[source + c];
            }
        }
        return result;
    }
}
