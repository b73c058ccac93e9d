using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using FleetQuant.Grains.Artifacts;
using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Observability;
using FleetQuant.Grains.Planning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FleetQuant.Grains.Compression;

/// <summary>
/// Runs compression off the Orleans scheduler: a bounded queue drained by a fixed number of workers (one per
/// core by default). Identical requests share one build — per (source, recipe, eval set) for artifacts and per
/// (base, target) for deltas — and finished results stay indexed in memory over the content-addressed store.
/// </summary>
public sealed class CompressionService : IAsyncDisposable
{
    private readonly CompressionEngine _engine;
    private readonly IArtifactStore _store;
    private readonly ILogger<CompressionService> _logger;
    private readonly Channel<Func<CancellationToken, Task>> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task[] _workers;
    private readonly ConcurrentDictionary<string, Lazy<Task<StoredBlob>>> _blobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<LadderInfo>>> _ladders = new(StringComparer.Ordinal);
    private int _buildsStarted;

    public CompressionService(CompressionEngine engine, IArtifactStore store, IOptions<CompressionOptions> options, ILogger<CompressionService> logger)
    {
        _engine = engine;
        _store = store;
        _logger = logger;
        var settings = options.Value;
        _queue = Channel.CreateBounded<Func<CancellationToken, Task>>(new BoundedChannelOptions(settings.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
        });
        _workers = Enumerable.Range(0, settings.EffectiveParallelism).Select(_ => Task.Run(DrainAsync)).ToArray();
    }

    /// <summary>Builds actually run (not deduplicated or served from the index); for tests and metrics.</summary>
    public int BuildsStarted => Volatile.Read(ref _buildsStarted);

    /// <summary>
    /// Checks an upload's data sets and hints against its model off the grain scheduler (not queued behind ladders, so an
    /// upload answers promptly) and stores the data sets; a set that does not fit is an <see cref="InvalidModelUploadException"/>.
    /// </summary>
    public async Task<VersionData> StoreUploadDataAsync(ModelVersionUpload upload)
    {
        var (eval, calibration, hints) = await Task.Run(() => _engine.PrepareUpload(upload.Onnx, upload));
        return new VersionData(
            eval is null ? null : await _store.PutAsync(eval),
            calibration is null ? null : await _store.PutAsync(calibration),
            hints);
    }

    /// <summary>Measures the ladder of a stored source model with its version's data sets and hints.</summary>
    public Task<LadderInfo> BuildLadderAsync(string sourceHash, VersionData data) =>
        Shared(_ladders, $"ladder:{sourceHash}:{data.Key}", async ct =>
        {
            var onnx = await _store.ReadAsync(sourceHash, ct);
            var eval = await ReadOptionalAsync(data.EvalSetHash, ct);
            var calibration = await ReadOptionalAsync(data.CalibrationSetHash, ct);
            return await RunQueuedAsync("ladder", token => _engine.BuildLadder(onnx, eval, calibration, data.Hints, token));
        }, keepResult: false);

    /// <summary>The artifact for one ladder rung of a stored source model, built once.</summary>
    public Task<StoredBlob> GetArtifactAsync(string sourceHash, LadderRung rung, VersionData data)
    {
        var recipeKey = rung.RecipeJson is { } json ? "json-" + ContentHash.Of(Encoding.UTF8.GetBytes(json)) : rung.Id;
        return Shared(_blobs, $"artifact:{sourceHash}:{recipeKey}:{data.CalibrationSetHash}:{data.Key}", async ct =>
        {
            var onnx = await _store.ReadAsync(sourceHash, ct);
            var calibration = await ReadOptionalAsync(data.CalibrationSetHash, ct);
            var bytes = await RunQueuedAsync("artifact", _ => _engine.BuildArtifact(onnx, rung, calibration, data.Hints));
            return new StoredBlob(await _store.PutAsync(bytes, ct), bytes.LongLength);
        }, keepResult: true);
    }

    /// <summary>The delta turning one stored artifact into another, built once.</summary>
    public Task<StoredBlob> GetDeltaAsync(string baseHash, string targetHash)
    {
        ContentHash.Validate(baseHash);
        ContentHash.Validate(targetHash);
        return Shared(_blobs, $"delta:{baseHash}:{targetHash}", async ct =>
        {
            var baseBytes = await _store.ReadAsync(baseHash, ct);
            var targetBytes = await _store.ReadAsync(targetHash, ct);
            var delta = await RunQueuedAsync("delta", _ => _engine.BuildDelta(baseBytes, targetBytes));
            return new StoredBlob(await _store.PutAsync(delta, ct), delta.LongLength);
        }, keepResult: true);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        await Task.WhenAll(_workers).ContinueWith(_ => { }, TaskScheduler.Default);
        _stopping.Dispose();
    }

    private async Task<byte[]?> ReadOptionalAsync(string? hash, CancellationToken ct) => hash is null ? null : await _store.ReadAsync(hash, ct);

    /// <summary>
    /// One build per key at a time. The build starts on the thread pool, never on the calling grain's scheduler.
    /// Failed builds are forgotten so a later request retries; with <paramref name="keepResult"/> successes stay
    /// indexed.
    /// </summary>
    private Task<T> Shared<T>(ConcurrentDictionary<string, Lazy<Task<T>>> map, string key, Func<CancellationToken, Task<T>> build, bool keepResult)
    {
        var entry = map.GetOrAdd(key, _ => new Lazy<Task<T>>(() => Task.Run(async () =>
        {
            Interlocked.Increment(ref _buildsStarted);
            return await build(_stopping.Token);
        })));
        var task = entry.Value;
        if (!task.IsCompleted || !keepResult || task.IsFaulted || task.IsCanceled)
        {
            _ = task.ContinueWith(t =>
            {
                if (!keepResult || !t.IsCompletedSuccessfully)
                {
                    map.TryRemove(new KeyValuePair<string, Lazy<Task<T>>>(key, entry));
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return task;
    }

    private async Task<T> RunQueuedAsync<T>(string job, Func<CancellationToken, T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        FleetQuantMetrics.CompressionQueued(job);
        try
        {
            await _queue.Writer.WriteAsync(ct =>
            {
                FleetQuantMetrics.CompressionStarted(job);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    done.TrySetResult(work(ct));
                    FleetQuantMetrics.CompressionFinished(job, succeeded: true, Stopwatch.GetElapsedTime(started));
                }
                catch (Exception ex)
                {
                    FleetQuantMetrics.CompressionFinished(job, succeeded: false, Stopwatch.GetElapsedTime(started));
                    done.TrySetException(ex);
                }
                return Task.CompletedTask;
            }, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            FleetQuantMetrics.CompressionAbandoned(job);
            throw;
        }
        return await done.Task;
    }

    private async Task DrainAsync()
    {
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(_stopping.Token))
            {
                await job(_stopping.Token);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            _logger.LogDebug("compression worker stopped");
        }
    }
}
