using System.Diagnostics;
using FleetQuant.Compression.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// Runs models in ONNX Runtime on an evaluation set: accuracy against labels, fidelity against a reference
/// model, the memory ONNX Runtime really holds (measured, see <see cref="RuntimeBytes"/>) and latency.
/// </summary>
public sealed class ModelEvaluator(EvaluatorOptions? options = null)
{
    private readonly EvaluatorOptions _options = options ?? new EvaluatorOptions();

    public EvaluatorOptions Options => _options;

    /// <summary>Accuracy when the set has labels, fidelity when a reference is given, plus runtime bytes and latency.</summary>
    public EvaluationResult Evaluate(byte[] model, EvalSet set, byte[]? reference = null)
    {
        var outputs = Outputs(model, set);
        double? accuracy = set.Labels is { } labels ? OutputScores.Accuracy(outputs, labels) : null;
        var fidelity = reference is null ? null : Evaluation.Fidelity.Compare(outputs, Outputs(reference, set));
        return new EvaluationResult(set.Count, accuracy, fidelity, RuntimeBytes(model, set), LatencyMs(model, set));
    }

    public double Accuracy(byte[] model, EvalSet set) =>
        set.Labels is { } labels
            ? OutputScores.Accuracy(Outputs(model, set), labels)
            : throw new ArgumentException("the evaluation set has no labels; measure fidelity against a reference model instead");

    public Fidelity Fidelity(byte[] model, byte[] reference, EvalSet set) =>
        Evaluation.Fidelity.Compare(Outputs(model, set), Outputs(reference, set));

    /// <summary>The first output of the model for every sample, flattened per sample, run in batches.</summary>
    public IReadOnlyList<float[]> Outputs(byte[] model, EvalSet set)
    {
        using var shared = RuntimeMemoryMeter.Share();
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = _options.BatchThreads };
        using var session = Open(model, sessionOptions);
        var input = ModelInput.Of(session, set);
        var outputName = FirstOutputName(session);
        var batch = input.BatchFor(_options.BatchSize);
        var results = new List<float[]>(set.Count);
        var buffer = new float[batch * set.SampleSize];
        for (var start = 0; start < set.Count; start += batch)
        {
            var n = Math.Min(batch, set.Count - start);
            set.Data.AsSpan(start * set.SampleSize, n * set.SampleSize).CopyTo(buffer);
            // A fixed batch axis is padded with zeros; the padding's outputs are dropped.
            buffer.AsSpan(n * set.SampleSize).Clear();
            using var value = OrtValue.CreateTensorValueFromMemory(buffer, input.RunShape(batch));
            using var outputs = Run(session, input.Name, value, outputName);
            var data = ReadFloats(outputs[0], outputName);
            if (data.Length % batch != 0)
            {
                throw new OnnxModelException($"output '{outputName}' has {data.Length} values for a batch of {batch}");
            }
            var perSample = data.Length / batch;
            for (var i = 0; i < n; i++)
            {
                results.Add(data.Slice(i * perSample, perSample).ToArray());
            }
        }
        return results;
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
        var input = ModelInput.Of(session, set);
        var outputName = FirstOutputName(session);
        using var value = OrtValue.CreateTensorValueFromMemory(OneRun(set, input), input.RunShape(input.BatchFor(1)));
        for (var i = 0; i < _options.WarmupRuns; i++)
        {
            using var _ = Run(session, input.Name, value, outputName);
        }

        var times = new double[Math.Max(1, _options.LatencyRuns)];
        for (var i = 0; i < times.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var _ = Run(session, input.Name, value, outputName);
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
        var input = ModelInput.Of(session, set);
        var outputName = FirstOutputName(session);
        using var value = OrtValue.CreateTensorValueFromMemory(OneRun(set, input), input.RunShape(input.BatchFor(1)));
        using var _ = Run(session, input.Name, value, outputName);
    }

    internal static SessionOptions SingleThreaded() => new()
    {
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    };

    /// <summary>The values for one run: the first samples, zero-padded up to a fixed batch.</summary>
    internal static float[] OneRun(EvalSet set, ModelInput input)
    {
        var batch = input.BatchFor(1);
        var values = new float[batch * set.SampleSize];
        set.Data.AsSpan(0, Math.Min(batch, set.Count) * set.SampleSize).CopyTo(values);
        return values;
    }

    internal static InferenceSession Open(byte[] model, SessionOptions options)
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

    internal static IDisposableReadOnlyCollection<OrtValue> Run(InferenceSession session, string inputName, OrtValue value, string outputName)
    {
        try
        {
            using var runOptions = new RunOptions();
            return session.Run(runOptions, [inputName], [value], [outputName]);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new OnnxModelException($"ONNX Runtime failed to run the model: {FirstLine(ex.Message)}", ex);
        }
    }

    internal static string FirstOutputName(InferenceSession session) =>
        session.OutputNames.Count > 0 ? session.OutputNames[0] : throw new OnnxModelException("the model has no outputs");

    private static ReadOnlySpan<float> ReadFloats(OrtValue value, string name)
    {
        var info = value.GetTensorTypeAndShape();
        return info.ElementDataType == TensorElementType.Float
            ? value.GetTensorDataAsSpan<float>()
            : throw new OnnxModelException($"output '{name}' is {info.ElementDataType}; evaluation reads FLOAT outputs");
    }

    internal static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string FirstLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
