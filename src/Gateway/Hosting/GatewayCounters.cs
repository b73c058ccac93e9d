namespace FleetQuant.Gateway.Hosting;

/// <summary>Counts of what the broker refused and what the bridge handled, dropped or sent (read by tests and /api/gateway/stats).</summary>
public sealed class GatewayCounters
{
    private long _refusedConnections;
    private long _refusedPublishes;
    private long _refusedSubscriptions;
    private long _malformedMessages;
    private long _routedMessages;
    private long _chunksSent;
    private long _chunkBytesSent;
    private long _chunkRequestsRefused;
    private long _manifestsPublished;

    public long RefusedConnections => Interlocked.Read(ref _refusedConnections);

    public long RefusedPublishes => Interlocked.Read(ref _refusedPublishes);

    public long RefusedSubscriptions => Interlocked.Read(ref _refusedSubscriptions);

    public long MalformedMessages => Interlocked.Read(ref _malformedMessages);

    public long RoutedMessages => Interlocked.Read(ref _routedMessages);

    public long ChunksSent => Interlocked.Read(ref _chunksSent);

    public long ChunkBytesSent => Interlocked.Read(ref _chunkBytesSent);

    public long ChunkRequestsRefused => Interlocked.Read(ref _chunkRequestsRefused);

    public long ManifestsPublished => Interlocked.Read(ref _manifestsPublished);

    internal void RefusedConnection() => Interlocked.Increment(ref _refusedConnections);

    internal void RefusedPublish() => Interlocked.Increment(ref _refusedPublishes);

    internal void RefusedSubscription() => Interlocked.Increment(ref _refusedSubscriptions);

    internal void Malformed() => Interlocked.Increment(ref _malformedMessages);

    internal void Routed() => Interlocked.Increment(ref _routedMessages);

    internal void ChunkSent(int bytes)
    {
        Interlocked.Increment(ref _chunksSent);
        Interlocked.Add(ref _chunkBytesSent, bytes);
    }

    internal void ChunkRefused() => Interlocked.Increment(ref _chunkRequestsRefused);

    internal void ManifestPublished() => Interlocked.Increment(ref _manifestsPublished);
}
