namespace FleetQuant.DeviceAgent.Transfer;

/// <summary>
/// Paces received bytes to a link speed, so a simulated NB-IoT device downloads as slowly as a real one.
/// </summary>
public sealed class TokenBucket(long bitsPerSecond, TimeProvider clock)
{
    private readonly double _bytesPerSecond = Math.Max(1, bitsPerSecond / 8.0);
    private readonly Lock _gate = new();
    private DateTimeOffset _nextFree = clock.GetUtcNow();

    /// <summary>Waits until <paramref name="bytes"/> could have arrived at the link speed.</summary>
    public Task ConsumeAsync(int bytes, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            var start = _nextFree > now ? _nextFree : now;
            _nextFree = start + TimeSpan.FromSeconds(bytes / _bytesPerSecond);
            wait = _nextFree - now;
        }
        return wait > TimeSpan.Zero ? Task.Delay(wait, clock, cancellationToken) : Task.CompletedTask;
    }
}
