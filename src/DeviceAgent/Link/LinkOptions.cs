namespace FleetQuant.DeviceAgent.Link;

/// <summary>How a device reaches the broker and who it is there.</summary>
public sealed record LinkOptions
{
    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 1883;

    public required string DeviceId { get; init; }

    public required string Secret { get; init; }

    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the link checks the connection and reconnects (with backoff and jitter) when it is down.</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(2);
}
