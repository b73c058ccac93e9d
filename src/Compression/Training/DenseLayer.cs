using System.Numerics.Tensors;

namespace FleetQuant.Compression.Training;

/// <summary>
/// A fully connected layer stored as ONNX Gemm(transB=1) wants it: weights row-major [outputs, inputs], one row
/// per output neuron, plus one bias per output.
/// </summary>
public sealed class DenseLayer
{
    public DenseLayer(int inputs, int outputs)
    {
        if (inputs <= 0 || outputs <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(inputs), $"a layer needs positive sizes, got {inputs}→{outputs}");
        }
        Inputs = inputs;
        Outputs = outputs;
        Weights = new float[checked(inputs * outputs)];
        Bias = new float[outputs];
    }

    public int Inputs { get; }

    public int Outputs { get; }

    /// <summary>Row-major [Outputs, Inputs].</summary>
    public float[] Weights { get; }

    public float[] Bias { get; }

    public Span<float> Row(int output) => Weights.AsSpan(output * Inputs, Inputs);

    /// <summary>He initialisation (normal, std √(2/fan-in)) for ReLU layers; biases start at zero.</summary>
    public void InitializeHe(Random random)
    {
        var std = Math.Sqrt(2.0 / Inputs);
        for (var i = 0; i < Weights.Length; i++)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            Weights[i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }
        Array.Clear(Bias);
    }

    /// <summary>output[b, o] = input[b, :] · W[o, :] + bias[o] for every row b of the batch; rows run in parallel.</summary>
    public void Forward(float[] input, float[] output, int batch)
    {
        Parallel.For(0, batch, b =>
        {
            var x = input.AsSpan(b * Inputs, Inputs);
            var y = output.AsSpan(b * Outputs, Outputs);
            for (var o = 0; o < Outputs; o++)
            {
                y[o] = TensorPrimitives.Dot(x, Row(o)) + Bias[o];
            }
        });
    }

    public DenseLayer Clone()
    {
        var copy = new DenseLayer(Inputs, Outputs);
        Weights.CopyTo(copy.Weights, 0);
        Bias.CopyTo(copy.Bias, 0);
        return copy;
    }
}
