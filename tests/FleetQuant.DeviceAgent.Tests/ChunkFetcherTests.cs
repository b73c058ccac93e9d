using System.Collections.Concurrent;
using FleetQuant.DeviceAgent.Storage;
using FleetQuant.DeviceAgent.Transfer;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Transfer;

namespace FleetQuant.DeviceAgent.Tests;

/// <summary>
/// The fetcher against a server function that answers chunk requests from a byte array, the way the Gateway
/// does; the MQTT path itself is covered end to end.
/// </summary>
public sealed class ChunkFetcherTests : IDisposable
{
    private const int ChunkSize = 1024;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("fq-fetch").FullName;
    private readonly byte[] _content = Enumerable.Range(0, 10 * ChunkSize + 100).Select(i => (byte)(i * 31 + i / 7)).ToArray();

    [Fact]
    public async Task Fetch_ReassemblesObject_AndKeepsWindowBounded()
    {
        var served = new ConcurrentBag<ChunkRequest>();
        var maxInFlight = 0;
        var inFlight = 0;
        ChunkFetcher? fetcher = null;
        fetcher = NewFetcher(new ModelStore(_dir), (request, cancellation) =>
        {
            served.Add(request);
            maxInFlight = Math.Max(maxInFlight, Interlocked.Increment(ref inFlight));
            _ = Task.Run(() =>
            {
                Interlocked.Decrement(ref inFlight);
                fetcher!.Offer(Frame(request));
            }, cancellation);
            return Task.CompletedTask;
        });

        var (content, stats) = await fetcher.FetchAsync(null, new CancellationTokenSource(Deadline).Token);

        Assert.Equal(_content, content);
        Assert.Equal(11, stats.ChunksFetched);
        Assert.InRange(maxInFlight, 1, 8);
    }

    [Fact]
    public async Task Fetch_RequestsCorruptChunkAgain()
    {
        var corrupted = 0;
        ChunkFetcher? fetcher = null;
        fetcher = NewFetcher(new ModelStore(_dir), (request, _) =>
        {
            var frame = Frame(request);
            if (request.Offset == 3 * ChunkSize && Interlocked.Increment(ref corrupted) == 1)
            {
                var bytes = frame.Data.ToArray();
                bytes[5] ^= 1;
                frame = frame with { Data = bytes };
            }
            fetcher!.Offer(frame);
            return Task.CompletedTask;
        });

        var (content, stats) = await fetcher.FetchAsync(null, new CancellationTokenSource(Deadline).Token);

        Assert.Equal(_content, content);
        Assert.Equal(1, stats.CorruptChunks);
        Assert.Equal(2, corrupted);
    }

    [Fact]
    public async Task Fetch_AfterRestart_AsksOnlyForChunksNotVerifiedBefore()
    {
        var store = new ModelStore(_dir);
        using (var firstRun = new CancellationTokenSource(Deadline))
        {
            ChunkFetcher? first = null;
            var answered = 0;
            first = NewFetcher(store, (request, _) =>
            {
                // Serve six chunks, then the "power" goes.
                if (Interlocked.Increment(ref answered) <= 6)
                {
                    first!.Offer(Frame(request));
                }
                return Task.CompletedTask;
            }, persistEveryChunk: true);
            var progress = new TaskCompletionSource();
            var fetch = first.FetchAsync((done, _) =>
            {
                if (done >= 6 * ChunkSize)
                {
                    progress.TrySetResult();
                }
            }, firstRun.Token);
            await progress.Task.WaitAsync(Deadline);
            await firstRun.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetch);
        }

        var requested = new ConcurrentBag<long>();
        ChunkFetcher? second = null;
        second = NewFetcher(new ModelStore(_dir), (request, _) =>
        {
            requested.Add(request.Offset);
            second!.Offer(Frame(request));
            return Task.CompletedTask;
        });

        var (content, stats) = await second.FetchAsync(null, new CancellationTokenSource(Deadline).Token);

        Assert.Equal(_content, content);
        Assert.True(stats.ChunksResumed >= 6, $"resumed {stats.ChunksResumed}");
        Assert.Equal(11 - stats.ChunksResumed, requested.Distinct().Count());
    }

    [Fact]
    public async Task SlowRetrieval_TransferWithoutProgress_FailsAfterTheStallTimeout()
    {
        // A source that takes every request and never answers; each request costs a minute of (fake) time.
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var fetcher = new ChunkFetcher(ChunkTable.Describe(_content, ChunkSize), new ModelStore(_dir), (_, _) =>
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            return Task.CompletedTask;
        }, linkBitsPerSecond: 8 * 1024, throttle: null, clock)
        {
            StallTimeout = TimeSpan.FromMinutes(3),
        };

        var failure = await Assert.ThrowsAsync<TransferFailedException>(() => fetcher.FetchAsync(null, new CancellationTokenSource(Deadline).Token));

        Assert.Contains("verified for", failure.Message);
        Assert.Contains("too slow or stopped", failure.Message);
    }

    [Fact]
    public async Task SlowRetrieval_SlowButSteadySource_CompletesWithinTheStallTimeout()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        ChunkFetcher? fetcher = null;
        fetcher = new ChunkFetcher(ChunkTable.Describe(_content, ChunkSize), new ModelStore(_dir), (request, _) =>
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            fetcher!.Offer(Frame(request));
            return Task.CompletedTask;
        }, linkBitsPerSecond: 8 * 1024, throttle: null, clock)
        {
            StallTimeout = TimeSpan.FromMinutes(3),
        };

        var (content, _) = await fetcher.FetchAsync(null, new CancellationTokenSource(Deadline).Token);

        Assert.Equal(_content, content);
    }

    [Fact]
    public async Task SlowRetrieval_SourceDrippingInsideTheStallTimeout_FailsOnItsAverageRate()
    {
        // One chunk every 150 s of (fake) time: never stalled for 3 minutes, but about 7 B/s against a 1 KiB/s link.
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        ChunkFetcher? fetcher = null;
        fetcher = new ChunkFetcher(ChunkTable.Describe(_content, ChunkSize), new ModelStore(_dir), (request, _) =>
        {
            clock.Advance(TimeSpan.FromSeconds(150));
            fetcher!.Offer(Frame(request));
            return Task.CompletedTask;
        }, linkBitsPerSecond: 8 * 1024, throttle: null, clock)
        {
            StallTimeout = TimeSpan.FromMinutes(3),
            MinimumRateGrace = TimeSpan.FromMinutes(10),
        };

        var failure = await Assert.ThrowsAsync<TransferFailedException>(() => fetcher.FetchAsync(null, new CancellationTokenSource(Deadline).Token));

        Assert.Equal(20, fetcher.MinimumBytesPerSecond);
        Assert.Contains("under the minimum of 20 B/s", failure.Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    private ChunkFetcher NewFetcher(ModelStore store, Func<ChunkRequest, CancellationToken, Task> send, bool persistEveryChunk = false) =>
        new(ChunkTable.Describe(_content, ChunkSize), store, send, linkBitsPerSecond: 100_000_000, throttle: null, TimeProvider.System)
        {
            PersistInterval = persistEveryChunk ? TimeSpan.Zero : TimeSpan.FromSeconds(1),
        };

    private ChunkFrame Frame(ChunkRequest request) =>
        new(request.RequestId, request.Offset, request.ObjectSha256, _content.AsMemory((int)request.Offset, request.Length));
}
