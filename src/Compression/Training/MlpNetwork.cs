using System.Numerics.Tensors;

namespace FleetQuant.Compression.Training;

/// <summary>A multi-layer perceptron: dense layers with ReLU between them and softmax on the last.</summary>
public sealed class MlpNetwork
{
    public MlpNetwork(IReadOnlyList<DenseLayer> layers)
    {
        if (layers.Count == 0)
        {
            throw new ArgumentException("a network needs at least one layer", nameof(layers));
        }
        for (var i = 1; i < layers.Count; i++)
        {
            if (layers[i].Inputs != layers[i - 1].Outputs)
            {
                throw new ArgumentException($"layer {i} takes {layers[i].Inputs} inputs but layer {i - 1} gives {layers[i - 1].Outputs}", nameof(layers));
            }
        }
        Layers = layers;
    }

    public IReadOnlyList<DenseLayer> Layers { get; }

    public int Inputs => Layers[0].Inputs;

    public int Classes => Layers[^1].Outputs;

    public long ParameterCount => Layers.Sum(l => (long)l.Weights.Length + l.Bias.Length);

    /// <summary>A network of the given layer widths (e.g. 784, 256, 128, 10), He-initialised from <paramref name="seed"/>.</summary>
    public static MlpNetwork Create(IReadOnlyList<int> widths, int seed)
    {
        if (widths.Count < 2)
        {
            throw new ArgumentException("give at least an input and an output width", nameof(widths));
        }
        var random = new Random(seed);
        var layers = new List<DenseLayer>();
        for (var i = 1; i < widths.Count; i++)
        {
            var layer = new DenseLayer(widths[i - 1], widths[i]);
            layer.InitializeHe(random);
            layers.Add(layer);
        }
        return new MlpNetwork(layers);
    }

    public MlpNetwork Clone() => new(Layers.Select(l => l.Clone()).ToList());

    /// <summary>Class probabilities for a batch of rows laid out contiguously in <paramref name="inputs"/>.</summary>
    public float[] Predict(ReadOnlySpan<float> inputs, int batch)
    {
        var activation = inputs[..(batch * Inputs)].ToArray();
        for (var i = 0; i < Layers.Count; i++)
        {
            var layer = Layers[i];
            var output = new float[batch * layer.Outputs];
            layer.Forward(activation, output, batch);
            if (i < Layers.Count - 1)
            {
                TensorPrimitives.Max(output, 0f, output);
            }
            activation = output;
        }
        for (var b = 0; b < batch; b++)
        {
            var row = activation.AsSpan(b * Classes, Classes);
            TensorPrimitives.SoftMax(row, row);
        }
        return activation;
    }

    /// <summary>Fraction of samples whose most probable class equals the label.</summary>
    public double Accuracy(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int chunk = 1000)
    {
        var correct = 0;
        for (var start = 0; start < labels.Length; start += chunk)
        {
            var n = Math.Min(chunk, labels.Length - start);
            var probabilities = Predict(inputs.Slice(start * Inputs, n * Inputs), n);
            for (var b = 0; b < n; b++)
            {
                if (TensorPrimitives.IndexOfMax(probabilities.AsSpan(b * Classes, Classes)) == labels[start + b])
                {
                    correct++;
                }
            }
        }
        return labels.Length == 0 ? 0 : (double)correct / labels.Length;
    }
}
