using System.Diagnostics;
using System.Numerics.Tensors;
using FleetQuant.Compression.Evaluation;

namespace FleetQuant.Compression.Training.Graph;

/// <summary>Minibatch size and the seed of shuffling and Dropout masks.</summary>
public sealed record GraphTrainingOptions
{
    public int BatchSize { get; init; } = 64;

    /// <summary>The same seed, data and starting weights give the same trained weights, bit for bit.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Fine-tunes a <see cref="TrainableGraph"/> with minibatches drawn in a seeded shuffled order. The loss is taken on
/// the logits: the graph's single output, or the input of the Softmax / LogSoftmax that computes it.
/// </summary>
public sealed class GraphTrainer
{
    private readonly IOptimizer _optimizer;
    private readonly int _batchSize;
    private readonly Random _shuffle;
    private readonly Random _dropout;
    private readonly Stopwatch _clock = new();

    public GraphTrainer(TrainableGraph graph, IOptimizer optimizer, GraphTrainingOptions? options = null)
    {
        options ??= new GraphTrainingOptions();
        if (options.BatchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "batch size must be positive");
        }
        if (graph.Inputs.Count != 1 || graph.Outputs.Count != 1)
        {
            throw new ArgumentException($"the trainer feeds one input and reads one output; the graph has {graph.Inputs.Count} and {graph.Outputs.Count}", nameof(graph));
        }
        Graph = graph;
        _optimizer = optimizer;
        _batchSize = options.BatchSize;
        // Separate streams, derived from the seed, so shuffling does not depend on how many masks were drawn.
        _shuffle = new Random(unchecked(options.Seed * 31 + 7));
        _dropout = new Random(unchecked(options.Seed * 31 + 11));
        var output = graph.Outputs[0];
        LogitsName = graph.ProducerOp(output) is "Softmax" or "LogSoftmax" ? graph.ProducerInput(output)! : output;
    }

    public TrainableGraph Graph { get; }

    public string LogitsName { get; }

    /// <summary>Samples trained on so far.</summary>
    public long TrainedSamples { get; private set; }

    /// <summary>Floating-point operations of the forward and backward passes so far (multiply-add = 2).</summary>
    public long TrainedFlops { get; private set; }

    /// <summary>Time spent in <see cref="TrainEpoch"/>.</summary>
    public TimeSpan TrainingTime => _clock.Elapsed;

    /// <summary>One pass over <paramref name="train"/> in a freshly shuffled order; returns the mean loss.</summary>
    public double TrainEpoch(EvalSet train, ITrainingLoss loss, CancellationToken cancellationToken = default)
    {
        var order = Enumerable.Range(0, train.Count).ToArray();
        _shuffle.Shuffle(order);
        double lossSum = 0;
        _clock.Start();
        try
        {
            for (var start = 0; start < order.Length; start += _batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                lossSum += TrainBatch(train, order.AsSpan(start, Math.Min(_batchSize, order.Length - start)), loss);
            }
        }
        finally
        {
            _clock.Stop();
        }
        return train.Count == 0 ? 0 : lossSum / train.Count;
    }

    /// <summary>Forward, backward and one optimizer step on the samples at <paramref name="indices"/>; returns their summed loss.</summary>
    public double TrainBatch(EvalSet train, ReadOnlySpan<int> indices, ITrainingLoss loss)
    {
        var input = new GraphTensor(FeedShape(train, indices.Length));
        for (var b = 0; b < indices.Length; b++)
        {
            train.Sample(indices[b]).CopyTo(input.Data.AsSpan(b * train.SampleSize));
        }
        var run = Graph.Forward(new Dictionary<string, GraphTensor> { [Graph.Inputs[0].Name] = input }, training: true, _dropout);
        var logits = run.Value(LogitsName);
        var gradient = new GraphTensor(logits.Shape);
        var sum = loss.Compute(logits, indices, gradient.Data);

        Graph.ZeroGradients();
        var backwardFlops = Graph.Backward(run, LogitsName, gradient);
        _optimizer.BeginStep();
        foreach (var parameter in Graph.Parameters)
        {
            if (parameter.Trainable)
            {
                _optimizer.Update(parameter.Value, parameter.Gradient, parameter.Decays);
            }
        }
        TrainedSamples += indices.Length;
        TrainedFlops += run.Flops + backwardFlops;
        return sum;
    }

    /// <summary>The logits of every sample, [count · classes], computed in chunks with Dropout off.</summary>
    public float[] Logits(EvalSet set, int chunk = 500)
    {
        var result = new List<float>();
        for (var start = 0; start < set.Count; start += chunk)
        {
            var n = Math.Min(chunk, set.Count - start);
            var input = new GraphTensor(FeedShape(set, n), set.Data.AsSpan(start * set.SampleSize, n * set.SampleSize).ToArray());
            result.AddRange(Graph.Forward(new Dictionary<string, GraphTensor> { [Graph.Inputs[0].Name] = input }).Value(LogitsName).Data);
        }
        return result.ToArray();
    }

    /// <summary>Fraction of labelled samples whose largest logit is their label.</summary>
    public double Accuracy(EvalSet set)
    {
        var labels = set.Labels ?? throw new ArgumentException("accuracy needs labelled samples", nameof(set));
        var logits = Logits(set);
        var classes = set.Count == 0 ? 0 : logits.Length / set.Count;
        var correct = 0;
        for (var i = 0; i < set.Count; i++)
        {
            correct += TensorPrimitives.IndexOfMax(logits.AsSpan(i * classes, classes)) == labels[i] ? 1 : 0;
        }
        return set.Count == 0 ? 0 : (double)correct / set.Count;
    }

    /// <summary>[batch, declared sample dims] when the graph declares them and they hold a sample, else [batch, the set's sample shape].</summary>
    private int[] FeedShape(EvalSet set, int batch)
    {
        var declared = Graph.Inputs[0].Dimensions;
        if (declared is { Count: >= 1 } && declared.Skip(1).All(d => d is not null) && declared.Skip(1).Aggregate(1L, (a, d) => a * d!.Value) == set.SampleSize)
        {
            return [batch, .. declared.Skip(1).Select(d => d!.Value)];
        }
        return [batch, .. set.SampleShape.Select(d => checked((int)d))];
    }
}
