using System.Collections;
using System.Security.Cryptography;
using System.Threading.Channels;
using FleetQuant.DeviceAgent.Storage;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Transfer;

namespace FleetQuant.DeviceAgent.Transfer;

/// <summary>Counters of one download, for reports and tests.</summary>
public sealed record FetchStats(long BytesReceived, int ChunksFetched, int ChunksResumed, int CorruptChunks, int Timeouts, TimeSpan Elapsed);

/// <summary>
/// Pulls one transfer object chunk by chunk: keeps a window of outstanding requests, verifies each chunk against
/// the signed chunk table, writes it into a partial file, persists which chunks are verified, and on restart
/// asks only for the rest. Corrupt or missing chunks are requested again.
/// </summary>
public sealed class ChunkFetcher
{
    private const int MaxAttemptsPerChunk = 8;

    private readonly TransferObject _object;
    private readonly ModelStore _store;
    private readonly Func<ChunkRequest, CancellationToken, Task> _send;
    private readonly TokenBucket? _throttle;
    private readonly TimeProvider _clock;
    private readonly int _window;
    private readonly RetransmitTimeout _timeout;
    private readonly Channel<ChunkFrame> _frames = Channel.CreateBounded<ChunkFrame>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Dictionary<int, PendingChunk> _pending = [];
    private int _nextRequestId;

    public ChunkFetcher(
        TransferObject transferObject,
        ModelStore store,
        Func<ChunkRequest, CancellationToken, Task> send,
        long linkBitsPerSecond,
        TokenBucket? throttle,
        TimeProvider clock)
    {
        _object = transferObject;
        _store = store;
        _send = send;
        _throttle = throttle;
        _clock = clock;
        // Enough requests in flight to cover about half a second of link time, between 1 and 8.
        _window = (int)Math.Clamp(linkBitsPerSecond / 8 / 2 / Math.Max(1, transferObject.ChunkSize), 1, 8);
        // A chunk may take its own transfer time several times over (at least 5 s) before we ask again; a server
        // measured to answer more slowly than that gets longer.
        var chunkSeconds = transferObject.ChunkSize * 8.0 / Math.Max(1, linkBitsPerSecond);
        _timeout = new RetransmitTimeout(TimeSpan.FromSeconds(Math.Max(5, 4 * chunkSeconds)), TimeSpan.FromMinutes(1));
        StallTimeout = TimeSpan.FromSeconds(Math.Max(600, 8 * chunkSeconds));
        MinimumBytesPerSecond = Math.Max(1, linkBitsPerSecond / 8 / MinimumRateDivisor);
    }

    /// <summary>A source may be this many times slower than the link on average before the transfer is given up.</summary>
    private const int MinimumRateDivisor = 50;

    /// <summary>
    /// The transfer fails when no chunk verifies for this long (slow-retrieval attack, or a source that stopped): at
    /// least ten minutes, more on links where one chunk takes over a minute and a quarter.
    /// </summary>
    public TimeSpan StallTimeout { get; init; }

    /// <summary>
    /// The transfer fails when, after <see cref="MinimumRateGrace"/>, it has averaged less than this (a source that
    /// drips a chunk just inside the stall timeout): by default a fiftieth of the link rate.
    /// </summary>
    public long MinimumBytesPerSecond { get; init; }

    /// <summary>How long a transfer runs before its average rate is held to <see cref="MinimumBytesPerSecond"/>.</summary>
    public TimeSpan MinimumRateGrace { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How often verified progress is flushed and recorded; a reboot loses at most this much work.</summary>
    public TimeSpan PersistInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Hands a received frame to the fetcher; frames for other objects are ignored by the caller.</summary>
    public bool Offer(ChunkFrame frame) => _frames.Writer.TryWrite(frame);

    /// <summary>Re-sends every outstanding request, e.g. after the connection came back.</summary>
    public void ResendPending()
    {
        lock (_pending)
        {
            foreach (var index in _pending.Keys.ToList())
            {
                _pending[index] = _pending[index] with { Deadline = DateTimeOffset.MinValue };
            }
        }
        _frames.Writer.TryWrite(default);
    }

    public async Task<(byte[] Content, FetchStats Stats)> FetchAsync(Action<long, long>? progress, CancellationToken cancellationToken)
    {
        var started = _clock.GetUtcNow();
        var count = ChunkTable.ChunkCount(_object.Size, _object.ChunkSize);
        var verified = ResumeState(count);
        var resumed = verified.Cast<bool>().Count(v => v);
        var path = _store.DownloadPath(_object.Sha256);
        long received = 0;
        int fetched = 0, corrupt = 0, timeouts = 0;
        var lastPersist = started;
        var lastProgress = started;

        await using (var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read))
        {
            file.SetLength(_object.Size);
            var next = 0;
            while (verified.Cast<bool>().Any(v => !v))
            {
                var stalled = _clock.GetUtcNow() - lastProgress;
                if (stalled > StallTimeout)
                {
                    throw new TransferFailedException($"no chunk of {_object.Sha256[..12]}… verified for {stalled.TotalSeconds:0} s (limit {StallTimeout.TotalSeconds:0} s): the source is too slow or stopped");
                }
                var elapsed = _clock.GetUtcNow() - started;
                if (elapsed > MinimumRateGrace && received / elapsed.TotalSeconds < MinimumBytesPerSecond)
                {
                    throw new TransferFailedException($"{_object.Sha256[..12]}… averaged {received / elapsed.TotalSeconds:0.#} B/s over {elapsed.TotalMinutes:0} min, " +
                        $"under the minimum of {MinimumBytesPerSecond} B/s: the source is too slow");
                }
                next = await FillWindowAsync(verified, count, next, cancellationToken);
                var frame = await NextFrameAsync(cancellationToken);
                if (frame.ObjectSha256 != _object.Sha256 || frame.Offset % _object.ChunkSize != 0)
                {
                    // Nothing for this object was waiting to be read: whatever is past its deadline now is really overdue.
                    timeouts += ExpireOverdue(count);
                    continue;
                }

                var index = (int)(frame.Offset / _object.ChunkSize);
                lock (_pending)
                {
                    // Any answer for a chunk still missing will do, even one to an earlier attempt that came late
                    // (a loaded server): the chunk table verifies the bytes, not the request id.
                    if (!_pending.Remove(index, out var answered))
                    {
                        continue;
                    }
                    // Only an answer to the first request times a round trip; after a retry it could answer either (Karn).
                    if (frame.RequestId == answered.FirstRequestId)
                    {
                        _timeout.Observe(_clock.GetUtcNow() - answered.FirstSentAt);
                    }
                }

                if (_throttle is not null)
                {
                    await _throttle.ConsumeAsync(frame.Data.Length, cancellationToken);
                }
                received += frame.Data.Length;
                if (!ChunkTable.Verify(_object, index, frame.Data.Span))
                {
                    corrupt++;
                    continue;
                }

                file.Seek(frame.Offset, SeekOrigin.Begin);
                await file.WriteAsync(frame.Data, cancellationToken);
                verified[index] = true;
                fetched++;
                lastProgress = _clock.GetUtcNow();
                progress?.Invoke(VerifiedBytes(verified, count), _object.Size);
                if (_clock.GetUtcNow() - lastPersist >= PersistInterval)
                {
                    file.Flush(flushToDisk: true);
                    Persist(verified);
                    lastPersist = _clock.GetUtcNow();
                }
            }
            file.Flush(flushToDisk: true);
        }

        var content = await File.ReadAllBytesAsync(path, cancellationToken);
        File.Delete(path);
        _store.Update(s => s with { Download = null });
        if (Convert.ToHexStringLower(SHA256.HashData(content)) != _object.Sha256)
        {
            throw new TransferFailedException($"downloaded object does not match its hash {_object.Sha256[..12]}…");
        }
        return (content, new FetchStats(received, fetched, resumed, corrupt, timeouts, _clock.GetUtcNow() - started));
    }

    private BitArray ResumeState(int count)
    {
        var saved = _store.State.Download;
        if (saved is not null && saved.ObjectSha256 == _object.Sha256 && saved.ChunkSize == _object.ChunkSize
            && File.Exists(_store.DownloadPath(_object.Sha256)))
        {
            var bits = new BitArray(Convert.FromBase64String(saved.VerifiedChunks)) { Length = count };
            // Trust only chunks that still verify on disk: the file may have been cut by a power loss.
            using var file = File.OpenRead(_store.DownloadPath(_object.Sha256));
            var buffer = new byte[_object.ChunkSize];
            for (var i = 0; i < count; i++)
            {
                if (!bits[i])
                {
                    continue;
                }
                file.Seek((long)i * _object.ChunkSize, SeekOrigin.Begin);
                var length = (int)Math.Min(_object.ChunkSize, _object.Size - (long)i * _object.ChunkSize);
                bits[i] = file.Read(buffer, 0, length) == length && ChunkTable.Verify(_object, i, buffer.AsSpan(0, length));
            }
            return bits;
        }
        return new BitArray(count);
    }

    private void Persist(BitArray verified)
    {
        var bytes = new byte[(verified.Length + 7) / 8];
        verified.CopyTo(bytes, 0);
        _store.Update(s => s with { Download = new DownloadProgress(_object.Sha256, _object.Size, _object.ChunkSize, Convert.ToBase64String(bytes)) });
    }

    private async Task<int> FillWindowAsync(BitArray verified, int count, int next, CancellationToken cancellationToken)
    {
        var toSend = new List<ChunkRequest>();
        lock (_pending)
        {
            foreach (var (index, pending) in _pending.Where(p => p.Value.Deadline == DateTimeOffset.MinValue).ToList())
            {
                toSend.Add(Request(index, pending.Attempts + 1));
            }
            for (var scanned = 0; scanned < count && _pending.Count < _window; scanned++, next = (next + 1) % count)
            {
                if (!verified[next] && !_pending.ContainsKey(next))
                {
                    toSend.Add(Request(next, 1));
                }
            }
        }
        foreach (var request in toSend)
        {
            await _send(request, cancellationToken);
        }
        return next;
    }

    private ChunkRequest Request(int index, int attempt)
    {
        if (attempt > MaxAttemptsPerChunk)
        {
            throw new TransferFailedException($"chunk {index} of {_object.Sha256[..12]}… failed {MaxAttemptsPerChunk} times");
        }
        var offset = (long)index * _object.ChunkSize;
        var request = new ChunkRequest
        {
            ObjectSha256 = _object.Sha256,
            Offset = offset,
            Length = (int)Math.Min(_object.ChunkSize, _object.Size - offset),
            RequestId = Interlocked.Increment(ref _nextRequestId),
        };
        // Each retry waits twice as long (up to a minute), so a slow server is not buried under repeated requests.
        var now = _clock.GetUtcNow();
        var deadline = now + _timeout.ForAttempt(attempt);
        _pending[index] = attempt == 1 ? new PendingChunk(deadline, attempt, request.RequestId, now) : _pending[index] with { Deadline = deadline, Attempts = attempt };
        return request;
    }

    private int ExpireOverdue(int count)
    {
        var now = _clock.GetUtcNow();
        var expired = 0;
        lock (_pending)
        {
            foreach (var (index, pending) in _pending.ToList())
            {
                if (pending.Deadline != DateTimeOffset.MinValue && pending.Deadline <= now)
                {
                    _pending[index] = pending with { Deadline = DateTimeOffset.MinValue };
                    expired++;
                }
            }
        }
        return expired;
    }

    private async Task<ChunkFrame> NextFrameAsync(CancellationToken cancellationToken)
    {
        // Answers already here (e.g. queued while the link throttle paid for earlier ones) are read before any
        // request counts as overdue.
        if (_frames.Reader.TryRead(out var waiting))
        {
            return waiting;
        }
        DateTimeOffset earliest;
        lock (_pending)
        {
            earliest = _pending.Count == 0 ? _clock.GetUtcNow() + _timeout.Current : _pending.Values.Min(p => p.Deadline);
        }
        var wait = earliest - _clock.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            return default;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            return await _frames.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return default;
        }
    }

    private long VerifiedBytes(BitArray verified, int count)
    {
        long total = 0;
        for (var i = 0; i < count; i++)
        {
            if (verified[i])
            {
                total += Math.Min(_object.ChunkSize, _object.Size - (long)i * _object.ChunkSize);
            }
        }
        return total;
    }

    /// <summary>A requested chunk not yet verified: when to ask again, how often it was asked, and its first request.</summary>
    private readonly record struct PendingChunk(DateTimeOffset Deadline, int Attempts, int FirstRequestId, DateTimeOffset FirstSentAt);
}
