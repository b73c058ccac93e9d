using System.Numerics.Tensors;
using FleetQuant.Compression.Evaluation;

namespace FleetQuant.Compression.Training;

/// <summary>
/// Trains an <see cref="MlpNetwork"/> with minibatch AdamW on softmax cross-entropy. Work is split across cores
/// so that each output value is computed by exactly one thread in a fixed order: results are identical run to run.
/// </summary>
public sealed class MlpTrainer
{
    private readonly AdamWOptimizer _optimizer;
    private readonly Random _shuffle;
    private readonly int _batchSize;
    private readonly float[][] _activations;
    private readonly float[][] _deltas;
    private readonly float[][] _weightGradients;
    private readonly float[][] _biasGradients;

    public MlpTrainer(MlpNetwork network, MlpTrainingOptions options)
    {
        options.Validate();
        Network = network;
        _batchSize = options.BatchSize;
        _optimizer = new AdamWOptimizer(options.LearningRate, options.WeightDecay);
        // Shuffling gets its own stream, derived from the seed, so it does not depend on how init drew numbers.
        _shuffle = new Random(unchecked(options.Seed * 31 + 7));

        var layers = network.Layers;
        _activations = new float[layers.Count + 1][];
        _activations[0] = new float[_batchSize * network.Inputs];
        _deltas = new float[layers.Count + 1][];
        _weightGradients = new float[layers.Count][];
        _biasGradients = new float[layers.Count][];
        for (var l = 0; l < layers.Count; l++)
        {
            _activations[l + 1] = new float[_batchSize * layers[l].Outputs];
            _deltas[l + 1] = new float[_batchSize * layers[l].Outputs];
            _weightGradients[l] = new float[layers[l].Weights.Length];
            _biasGradients[l] = new float[layers[l].Bias.Length];
        }
    }

    public MlpNetwork Network { get; }

    public float LearningRate
    {
        get => _optimizer.LearningRate;
        set => _optimizer.LearningRate = value > 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "learning rate must be positive");
    }

    /// <summary>One pass over <paramref name="train"/> in a freshly shuffled order; returns the mean loss.</summary>
    public double TrainEpoch(EvalSet train, CancellationToken cancellationToken = default)
    {
        if (train.Labels is null)
        {
            throw new ArgumentException("training needs labelled samples", nameof(train));
        }
        if (train.SampleSize != Network.Inputs)
        {
            throw new ArgumentException($"samples have {train.SampleSize} values, the network takes {Network.Inputs}", nameof(train));
        }
        if (train.Labels.Any(l => l < 0 || l >= Network.Classes))
        {
            throw new ArgumentException($"labels must lie in [0, {Network.Classes})", nameof(train));
        }

        var order = Enumerable.Range(0, train.Count).ToArray();
        _shuffle.Shuffle(order);

        double lossSum = 0;
        for (var start = 0; start < order.Length; start += _batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = Math.Min(_batchSize, order.Length - start);
            lossSum += TrainBatch(train, order.AsSpan(start, batch));
        }
        return train.Count == 0 ? 0 : lossSum / train.Count;
    }

    /// <summary>Forward, backward and one optimizer step; returns the summed loss of the batch.</summary>
    private double TrainBatch(EvalSet train, ReadOnlySpan<int> indices)
    {
        var batch = indices.Length;
        var layers = Network.Layers;
        var inputs = _activations[0];
        for (var b = 0; b < batch; b++)
        {
            train.Sample(indices[b]).CopyTo(inputs.AsSpan(b * Network.Inputs));
        }

        for (var l = 0; l < layers.Count; l++)
        {
            layers[l].Forward(_activations[l], _activations[l + 1], batch);
            if (l < layers.Count - 1)
            {
                var z = _activations[l + 1].AsSpan(0, batch * layers[l].Outputs);
                TensorPrimitives.Max(z, 0f, z);
            }
        }

        var loss = SoftmaxCrossEntropy(train.Labels!, indices);

        for (var l = layers.Count - 1; l >= 0; l--)
        {
            AccumulateGradients(l, batch);
            if (l > 0)
            {
                PropagateDelta(l, batch);
            }
        }

        _optimizer.BeginStep();
        for (var l = 0; l < layers.Count; l++)
        {
            _optimizer.Update(layers[l].Weights, _weightGradients[l], decay: true);
            _optimizer.Update(layers[l].Bias, _biasGradients[l], decay: false);
        }
        return loss;
    }

    /// <summary>Turns the last layer's logits into the loss gradient (p − onehot) / batch, returning the summed loss.</summary>
    private double SoftmaxCrossEntropy(int[] labels, ReadOnlySpan<int> indices)
    {
        var classes = Network.Classes;
        var logits = _activations[^1];
        var delta = _deltas[^1];
        var batch = indices.Length;
        double loss = 0;
        for (var b = 0; b < batch; b++)
        {
            var row = logits.AsSpan(b * classes, classes);
            var gradient = delta.AsSpan(b * classes, classes);
            var label = labels[indices[b]];
            var max = TensorPrimitives.Max(row);
            var logSumExp = max + Math.Log(TensorPrimitives.Sum(Exp(row, max, gradient)));
            loss += logSumExp - row[label];
            TensorPrimitives.Multiply(gradient, 1f / TensorPrimitives.Sum(gradient), gradient);
            gradient[label] -= 1f;
            TensorPrimitives.Multiply(gradient, 1f / batch, gradient);
        }
        return loss;
    }

    private static Span<float> Exp(ReadOnlySpan<float> row, float max, Span<float> destination)
    {
        TensorPrimitives.Subtract(row, max, destination);
        TensorPrimitives.Exp(destination, destination);
        return destination;
    }

    /// <summary>dW[o, :] = Σ_b δ[b, o] · a[b, :] and db[o] = Σ_b δ[b, o]; one output row per task.</summary>
    private void AccumulateGradients(int l, int batch)
    {
        var layer = Network.Layers[l];
        var inputs = _activations[l];
        var delta = _deltas[l + 1];
        var weightGradient = _weightGradients[l];
        var biasGradient = _biasGradients[l];
        Parallel.For(0, layer.Outputs, o =>
        {
            var row = weightGradient.AsSpan(o * layer.Inputs, layer.Inputs);
            row.Clear();
            var biasSum = 0f;
            for (var b = 0; b < batch; b++)
            {
                var d = delta[b * layer.Outputs + o];
                if (d == 0f)
                {
                    continue;
                }
                TensorPrimitives.MultiplyAdd(inputs.AsSpan(b * layer.Inputs, layer.Inputs), d, row, row);
                biasSum += d;
            }
            biasGradient[o] = biasSum;
        });
    }

    /// <summary>δ_prev[b, :] = (Σ_o δ[b, o] · W[o, :]) masked by ReLU'(a_prev); one batch row per task.</summary>
    private void PropagateDelta(int l, int batch)
    {
        var layer = Network.Layers[l];
        var delta = _deltas[l + 1];
        var previous = _deltas[l];
        var activations = _activations[l];
        Parallel.For(0, batch, b =>
        {
            var row = previous.AsSpan(b * layer.Inputs, layer.Inputs);
            row.Clear();
            for (var o = 0; o < layer.Outputs; o++)
            {
                var d = delta[b * layer.Outputs + o];
                if (d != 0f)
                {
                    TensorPrimitives.MultiplyAdd(layer.Row(o), d, row, row);
                }
            }
            var active = activations.AsSpan(b * layer.Inputs, layer.Inputs);
            for (var i = 0; i < row.Length; i++)
            {
                if (active[i] <= 0f)
                {
                    row[i] = 0f;
                }
            }
        });
    }
}
