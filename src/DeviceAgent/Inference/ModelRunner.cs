using System.Diagnostics;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.DeviceAgent.Transfer;
using FleetQuant.Protocol.Manifests;
using Microsoft.ML.OnnxRuntime;

namespace FleetQuant.DeviceAgent.Inference;

/// <summary>
/// The model the device serves, hot-swappable: a new session is fully loaded and checked before it replaces
/// the old one, and runs in flight finish on the session they started with. Each model gets its workload at swap
/// time: the device's own samples when they fit its inputs, else inputs generated from the version's hints.
/// </summary>
public sealed class ModelRunner(EvalSet samples) : IDisposable
{
    /// <summary>Samples generated for a model the device's own samples do not fit.</summary>
    private const int GeneratedSamples = 8;

    private readonly Lock _gate = new();
    private InferenceSession? _session;
    private Workload? _workload;

    public string? ArtifactSha256 { get; private set; }

    public bool IsLoaded => _session is not null;

    /// <summary>Loads a model in ONNX Runtime; throws <see cref="TransferFailedException"/> when it does not load.</summary>
    public static InferenceSession Load(byte[] onnx)
    {
        try
        {
            using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            return new InferenceSession(onnx, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new TransferFailedException($"model does not load in ONNX Runtime: {ex.Message}", ex);
        }
    }

    /// <summary>Runs the manifest's reference input and compares with its expected output.</summary>
    public static void SmokeTest(InferenceSession session, SmokeTest test)
    {
        try
        {
            SmokeTests.Check(session, test);
        }
        catch (InvalidDataException ex)
        {
            throw new TransferFailedException(ex.Message, ex);
        }
    }

    /// <summary>Why the current model has no workload (its inputs could be neither fed nor generated), or null.</summary>
    public string? WorkloadProblem { get; private set; }

    public void Swap(InferenceSession session, string artifactSha256, ModelInputHints? hints)
    {
        var (workload, problem) = Workload.For(session, samples, hints);
        InferenceSession? old;
        lock (_gate)
        {
            old = _session;
            _session = session;
            _workload = workload;
            WorkloadProblem = problem;
            ArtifactSha256 = artifactSha256;
        }
        old?.Dispose();
    }

    /// <summary>Runs sample <paramref name="index"/> (modulo the workload's size); returns the model's confidence and the latency.</summary>
    public (double Confidence, double LatencyMs) Infer(int index)
    {
        lock (_gate)
        {
            if (_session is null)
            {
                throw new InvalidOperationException("no model loaded");
            }
            var workload = _workload ?? throw new InvalidOperationException($"no inputs for this model: {WorkloadProblem}");
            var watch = Stopwatch.StartNew();
            using var outputs = workload.Feeds.Run(_session, index % workload.Set.Count, 1, [workload.Feeds.OutputNames[0]]);
            var output = outputs[0].GetTensorDataAsSpan<float>().ToArray();
            return (Confidence(output), watch.Elapsed.TotalMilliseconds);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _session?.Dispose();
            _session = null;
        }
    }

    /// <summary>
    /// How sure the model is: for one score, the distance from undecided (max(s, 1 − s)); for class scores the largest
    /// probability, with softmax applied when the model emits logits.
    /// </summary>
    private static double Confidence(float[] output)
    {
        if (output.Length == 1)
        {
            return Math.Clamp(Math.Max(output[0], 1 - output[0]), 0, 1);
        }
        var sum = output.Sum();
        if (output.All(v => v >= 0) && Math.Abs(sum - 1) < 1e-3)
        {
            return output.Max();
        }
        var max = output.Max();
        var exp = output.Select(v => Math.Exp(v - max)).ToArray();
        return exp.Max() / exp.Sum();
    }

    /// <summary>The inputs one model runs on, bound to its session.</summary>
    private sealed record Workload(EvalSet Set, ModelFeeds Feeds)
    {
        public static (Workload? Workload, string? Problem) For(InferenceSession session, EvalSet samples, ModelInputHints? hints)
        {
            InputHints inputHints;
            try
            {
                inputHints = InputHints.FromMessage(hints);
            }
            catch (ArgumentException ex)
            {
                return (null, $"the manifest's input hints are invalid: {ex.Message}");
            }
            try
            {
                return (new Workload(samples, ModelFeeds.Bind(session, samples.WithHints(inputHints))), null);
            }
            catch (Exception ex) when (ex is OnnxModelException or ArgumentException)
            {
                // The device's own samples are for another input layout: generate what this model takes.
            }
            try
            {
                var generated = GeneratedInputs.ForModel(session.InputMetadata, inputHints, GeneratedSamples, seed: 1).WithHints(inputHints);
                return (new Workload(generated, ModelFeeds.Bind(session, generated)), null);
            }
            catch (Exception ex) when (ex is OnnxModelException or ArgumentException)
            {
                return (null, ex.Message);
            }
        }
    }
}
