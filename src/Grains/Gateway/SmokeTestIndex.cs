using System.Collections.Concurrent;
using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Protocol.Manifests;
using Microsoft.ML.OnnxRuntime;

namespace FleetQuant.Grains.Gateway;

/// <summary>
/// The smoke test a manifest carries for an artifact: a generated reference input and the output of the artifact's
/// decoded model on it, computed once per artifact with ONNX Runtime off the Orleans scheduler (bounded to one build
/// per core) and kept in memory. The device runs the same input through the model it decoded and compares.
/// </summary>
public sealed class SmokeTestIndex(HotObjectCache hot, Artifacts.IArtifactStore store)
{
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, Lazy<Task<SmokeTest>>> _tests = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _builds = new(Environment.ProcessorCount);

    public Task<SmokeTest> GetAsync(string artifactHash)
    {
        if (_tests.Count >= MaxEntries)
        {
            _tests.Clear();
        }
        var entry = _tests.GetOrAdd(artifactHash, hash => new Lazy<Task<SmokeTest>>(() => BuildAsync(hash)));
        var task = entry.Value;
        // Failures are not kept: a later manifest retries.
        _ = task.ContinueWith(t => _tests.TryRemove(new KeyValuePair<string, Lazy<Task<SmokeTest>>>(artifactHash, entry)),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    private async Task<SmokeTest> BuildAsync(string hash)
    {
        if (!hot.TryGet(hash, out var artifact))
        {
            artifact = await store.ReadAsync(hash);
            hot.Add(hash, artifact);
        }
        await _builds.WaitAsync();
        try
        {
            return await Task.Run(() => Build(artifact));
        }
        finally
        {
            _builds.Release();
        }
    }

    private static SmokeTest Build(byte[] artifact)
    {
        using var onnx = new MemoryStream();
        ArtifactReader.Unpack(new MemoryStream(artifact, writable: false), onnx);
        using var session = new InferenceSession(onnx.ToArray());
        return SmokeTests.Build(session, InputHints.None, seed: 7);
    }
}
