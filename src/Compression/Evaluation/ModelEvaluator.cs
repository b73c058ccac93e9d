using System.Diagnostics;
using FleetQuant.Compression.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// Runs models in ONNX Runtime on an evaluation set: accuracy against labels, fidelity against a reference model or the
/// outputs recorded with the data, the memory ONNX Runtime really holds (measured, see <see cref="RuntimeBytes"/>)
/// and latency. Every input is fed (<see cref="ModelFeeds"/>) and every tensor output compared.
/// </summary>
public sealed class ModelEvaluator(EvaluatorOptions? options = null)
{
    private readonly EvaluatorOptions _options = options ?? new EvaluatorOptions();

    public EvaluatorOptions Options => _options;

    /// <summary>
    /// Accuracy when the set has labels; fidelity against <paramref name="reference"/> when given, else against the
    /// outputs recorded with the data when it has them; plus runtime bytes and latency.
    /// </summary>
    public EvaluationResult Evaluate(byte[] model, EvalSet set, byte[]? reference = null)
    {
        var outputs = Outputs(model, set);
        double? accuracy = set.Labels is { } labels ? OutputScores.Accuracy(outputs, labels) : null;
        var expected = reference is not null ? Outputs(reference, set) : Recorded(set, outputs);
        var fidelity = expected is null ? null : Evaluation.Fidelity.Compare(outputs, expected, ClassOutput(set, outputs));
        return new EvaluationResult(set.Count, accuracy, fidelity, RuntimeBytes(model, set), LatencyMs(model, set))
        {
            FidelityAgainst = reference is not null ? FidelityReference.Model : expected is not null ? FidelityReference.Recorded : null,
        };
    }

    public double Accuracy(byte[] model, EvalSet set) =>
        set.Labels is { } labels
            ? OutputScores.Accuracy(Outputs(model, set), labels)
            : throw new ArgumentException("the evaluation set has no labels; measure fidelity against a reference model instead");

    public Fidelity Fidelity(byte[] model, byte[] reference, EvalSet set)
    {
        var outputs = Outputs(model, set);
        return Evaluation.Fidelity.Compare(outputs, Outputs(reference, set), ClassOutput(set, outputs));
    }

    /// <summary>The output labels are judged against (the first), when the set has labels.</summary>
    public static string? ClassOutput(EvalSet set, ModelOutputs outputs) => set.HasLabels ? outputs.First.Name : null;

    /// <summary>Every tensor output of the model for every sample, flattened per sample, run in batches where the model allows.</summary>
    public ModelOutputs Outputs(byte[] model, EvalSet set)
    {
        using var shared = RuntimeMemoryMeter.Share();
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = _options.BatchThreads };
        using var session = Open(model, sessionOptions);
        var feeds = ModelFeeds.Bind(session, set, set.Hints, _options.BatchSize);
        var collected = feeds.OutputNames.Select(_ => new List<float[]>(set.Count)).ToArray();
        var lastAxis = new int[collected.Length];
        for (var start = 0; start < set.Count; start += feeds.Batch)
        {
            var n = Math.Min(feeds.Batch, set.Count - start);
            using var outputs = feeds.Run(session, start, n);
            for (var o = 0; o < collected.Length; o++)
            {
                var (data, shape) = ReadAsFloats(outputs[o], feeds.OutputNames[o]);
                lastAxis[o] = shape.Length == 0 ? 1 : (int)Math.Max(1, shape[^1]);
                if (!feeds.Stacked)
                {
                    collected[o].Add(data);
                    continue;
                }
                if (data.Length % feeds.Batch != 0)
                {
                    throw new OnnxModelException($"output '{feeds.OutputNames[o]}' has {data.Length} values for a batch of {feeds.Batch}");
                }
                // A fixed batch axis is padded with zeros; the padding's outputs are dropped.
                var perSample = data.Length / feeds.Batch;
                for (var i = 0; i < n; i++)
                {
                    collected[o].Add(data.AsSpan(i * perSample, perSample).ToArray());
                }
            }
        }
        return new ModelOutputs(feeds.OutputNames.Select((name, o) => new OutputValues(name, collected[o], lastAxis[o])).ToList());
    }

    /// <summary>How the set feeds each input of the model (see <see cref="ModelFeeds.Inputs"/>), in the model's order.</summary>
    public static IReadOnlyList<(string Name, SampleArray Samples, bool FromSet)> DescribeInputs(byte[] model, EvalSet set)
    {
        using var shared = RuntimeMemoryMeter.Share();
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = Open(model, options);
        return ModelFeeds.Bind(session, set.Take(1), set.Hints).Inputs;
    }

    /// <summary>
    /// Bytes of memory ONNX Runtime holds for the model once loaded (CPU arena off) and run on one sample: the native
    /// heap the open session adds, exact with glibc (<c>mallinfo2</c>), the resident-set growth elsewhere; the median
    /// of <see cref="EvaluatorOptions.MemoryRepeats"/> loads.
    /// </summary>
    public long RuntimeBytes(byte[] model, EvalSet set) => RuntimeMemoryMeter.Measure(model, set, _options.MemoryRepeats);

    /// <summary>Median wall time in milliseconds of single-sample runs on one intra-op thread, after warm-up.</summary>
    public double LatencyMs(byte[] model, EvalSet set)
    {
        using var shared = RuntimeMemoryMeter.Share();
        using var sessionOptions = SingleThreaded();
        using var session = Open(model, sessionOptions);
        var feeds = ModelFeeds.Bind(session, set, set.Hints);
        using var inputs = feeds.Create(0, 1);
        for (var i = 0; i < _options.WarmupRuns; i++)
        {
            using var _ = Run(session, feeds, inputs);
        }

        var times = new double[Math.Max(1, _options.LatencyRuns)];
        for (var i = 0; i < times.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var _ = Run(session, feeds, inputs);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return Median(times);
    }

    /// <summary>Loads the model in ONNX Runtime and runs one sample; throws <see cref="OnnxModelException"/> if it cannot.</summary>
    public void CheckRuns(byte[] model, EvalSet set)
    {
        using var shared = RuntimeMemoryMeter.Share();
        using var sessionOptions = SingleThreaded();
        using var session = Open(model, sessionOptions);
        using var _ = ModelFeeds.Bind(session, set, set.Hints).Run(session, 0, 1);
    }

    internal static SessionOptions SingleThreaded() => new()
    {
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    };

    public static InferenceSession Open(byte[] model, SessionOptions options)
    {
        try
        {
            return new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new OnnxModelException($"ONNX Runtime cannot load the model: {FirstLine(ex.Message)}", ex);
        }
    }

    /// <summary>Runs prepared inputs again (latency loops), turning ONNX Runtime's errors into the library's.</summary>
    internal static IDisposableReadOnlyCollection<OrtValue> Run(InferenceSession session, ModelFeeds feeds, RunInputs inputs)
    {
        try
        {
            using var runOptions = new RunOptions();
            return session.Run(runOptions, feeds.InputNames, inputs.Values, feeds.OutputNames);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new OnnxModelException($"ONNX Runtime failed to run the model: {FirstLine(ex.Message)}", ex);
        }
    }

    /// <summary>The recorded outputs of the set as model outputs, when it has one for every output the model produced.</summary>
    private static ModelOutputs? Recorded(EvalSet set, ModelOutputs produced)
    {
        if (set.References.Count == 0)
        {
            return null;
        }
        var recorded = new List<OutputValues>();
        foreach (var reference in set.References)
        {
            var actual = produced.Find(reference.Name ?? "")
                ?? throw new OnnxModelException($"{set.Source ?? "the evaluation set"}: recorded output '{reference.Name}' is not an output of the model (its outputs: {string.Join(", ", produced.Outputs.Select(o => o.Name))})");
            var samples = Enumerable.Range(0, reference.Count).Select(i => Array.ConvertAll(reference.SampleAsDoubles(i), v => (float)v)).ToList();
            recorded.Add(new OutputValues(actual.Name, samples, actual.LastAxis));
        }
        return new ModelOutputs(recorded);
    }

    /// <summary>A numeric output tensor as floats (any element type), with its shape.</summary>
    private static (float[] Values, long[] Shape) ReadAsFloats(OrtValue value, string name)
    {
        if (!value.IsTensor)
        {
            throw new OnnxModelException($"output '{name}' is not a tensor");
        }
        var info = value.GetTensorTypeAndShape();
        var values = info.ElementDataType switch
        {
            TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
            TensorElementType.Double => Convert(value.GetTensorDataAsSpan<double>(), v => (float)v),
            TensorElementType.Float16 => Convert(value.GetTensorDataAsSpan<Float16>(), v => v.ToFloat()),
            TensorElementType.BFloat16 => Convert(value.GetTensorDataAsSpan<BFloat16>(), v => v.ToFloat()),
            TensorElementType.Int64 => Convert(value.GetTensorDataAsSpan<long>(), v => (float)v),
            TensorElementType.Int32 => Convert(value.GetTensorDataAsSpan<int>(), v => (float)v),
            TensorElementType.Int16 => Convert(value.GetTensorDataAsSpan<short>(), v => (float)v),
            TensorElementType.Int8 => Convert(value.GetTensorDataAsSpan<sbyte>(), v => (float)v),
            TensorElementType.UInt8 => Convert(value.GetTensorDataAsSpan<byte>(), v => (float)v),
            TensorElementType.UInt16 => Convert(value.GetTensorDataAsSpan<ushort>(), v => (float)v),
            TensorElementType.UInt32 => Convert(value.GetTensorDataAsSpan<uint>(), v => (float)v),
            TensorElementType.UInt64 => Convert(value.GetTensorDataAsSpan<ulong>(), v => (float)v),
            TensorElementType.Bool => Convert(value.GetTensorDataAsSpan<bool>(), v => v ? 1f : 0f),
            _ => throw new OnnxModelException($"output '{name}' is {info.ElementDataType}; evaluation compares numeric outputs"),
        };
        return (values, info.Shape);
    }

    private static float[] Convert<T>(ReadOnlySpan<T> values, Func<T, float> convert)
    {
        var result = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = convert(values[i]);
        }
        return result;
    }

    internal static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string FirstLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
