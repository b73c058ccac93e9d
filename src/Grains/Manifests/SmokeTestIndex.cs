using System.Collections.Concurrent;
using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Grains.Transfers;
using FleetQuant.Protocol.Manifests;
using Microsoft.ML.OnnxRuntime;

namespace FleetQuant.Grains.Manifests;

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

    /// <param name="hints">The version's input hints: the generated input is shaped by them, so the key holds them too.</param>
    public Task<SmokeTest> GetAsync(string artifactHash, InputHints hints)
    {
        if (_tests.Count >= MaxEntries)
        {
            _tests.Clear();
        }
        var key = $"{artifactHash}:{hints.Describe()}";
        var entry = _tests.GetOrAdd(key, _ => new Lazy<Task<SmokeTest>>(() => BuildAsync(artifactHash, hints)));
        var task = entry.Value;
        // Failures are not kept: a later manifest retries.
        _ = task.ContinueWith(t => _tests.TryRemove(new KeyValuePair<string, Lazy<Task<SmokeTest>>>(key, entry)),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    private async Task<SmokeTest> BuildAsync(string hash, InputHints hints)
    {
        if (!hot.TryGet(hash, out var artifact))
        {
            artifact = await store.ReadAsync(hash);
            hot.Add(hash, artifact);
        }
        await _builds.WaitAsync();
        try
        {
            return await Task.Run(() => Build(artifact, hints));
        }
        finally
        {
            _builds.Release();
        }
    }

    private static SmokeTest Build(byte[] artifact, InputHints hints)
    {
        using var onnx = new MemoryStream();
        ArtifactReader.Unpack(new MemoryStream(artifact, writable: false), onnx);
        using var session = new InferenceSession(onnx.ToArray());
        return SmokeTests.Build(session, hints, seed: 7);
    }
}
