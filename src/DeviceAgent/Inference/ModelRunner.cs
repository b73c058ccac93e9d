using System.Diagnostics;
using FleetQuant.Compression.Evaluation;
using FleetQuant.DeviceAgent.Transfer;
using FleetQuant.Protocol.Manifests;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FleetQuant.DeviceAgent.Inference;

/// <summary>
/// The model the device serves, hot-swappable: a new session is fully loaded and checked before it replaces
/// the old one, and runs in flight finish on the session they started with.
/// </summary>
public sealed class ModelRunner : IDisposable
{
    private readonly Lock _gate = new();
    private InferenceSession? _session;

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

    public void Swap(InferenceSession session, string artifactSha256)
    {
        InferenceSession? old;
        lock (_gate)
        {
            old = _session;
            _session = session;
            ArtifactSha256 = artifactSha256;
        }
        old?.Dispose();
    }

    /// <summary>Runs one sample; returns the top-1 probability and the latency.</summary>
    public (double Confidence, double LatencyMs) Infer(float[] sample, long[] sampleShape)
    {
        lock (_gate)
        {
            if (_session is null)
            {
                throw new InvalidOperationException("no model loaded");
            }
            var input = _session.InputMetadata.Keys.First();
            var watch = Stopwatch.StartNew();
            var output = RunOnce(_session, input, sample, [1, .. sampleShape]);
            return (TopProbability(output), watch.Elapsed.TotalMilliseconds);
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

    private static float[] RunOnce(InferenceSession session, string inputName, float[] data, long[] shape)
    {
        var tensor = new DenseTensor<float>(data, shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        return results.First().AsEnumerable<float>().ToArray();
    }

    /// <summary>The largest class probability; applies softmax when the model emits logits.</summary>
    private static double TopProbability(float[] output)
    {
        var sum = output.Sum();
        if (output.All(v => v >= 0) && Math.Abs(sum - 1) < 1e-3)
        {
            return output.Max();
        }
        var max = output.Max();
        var exp = output.Select(v => Math.Exp(v - max)).ToArray();
        return exp.Max() / exp.Sum();
    }
}
