namespace FleetQuant.Grains.Gateway;

/// <summary>
/// One shard (integer key 0..<see cref="GatewayDirectory.Shards"/>-1) of the registry of live Gateways. Gateways
/// register an observer with every shard and re-register periodically (registrations expire); a device's shard
/// forwards its desired state to one live Gateway, chosen stably by the device's hash.
/// </summary>
[Alias("fq.IGatewayDirectoryGrain")]
public interface IGatewayDirectoryGrain : IGrainWithIntegerKey
{
    [Alias("Register")]
    Task Register(string gatewayId, IDesiredStateObserver observer);

    [Alias("Unregister")]
    Task Unregister(string gatewayId);

    /// <summary>Whether any Gateway is registered (lets the silo skip signing when nobody would publish).</summary>
    [Alias("HasGateways")]
    Task<bool> HasGateways();

    /// <summary>Forwards to one live Gateway; false when none is registered (the device converges on its next hello).</summary>
    [Alias("Deliver")]
    Task<bool> Deliver(SignedDesiredState state);

    /// <summary>Tells every live Gateway that a device's secret changed; returns how many Gateways took it.</summary>
    [Alias("RevokeCredentials")]
    Task<int> RevokeCredentials(string deviceId);
}

/// <summary>Shard layout of the Gateway directory and its registration lifetime.</summary>
public static class GatewayDirectory
{
    public const int Shards = 8;

    /// <summary>A registration not renewed within this time is dropped.</summary>
    public static readonly TimeSpan RegistrationLifetime = TimeSpan.FromSeconds(90);

    /// <summary>How often a Gateway renews its registrations (well inside the lifetime).</summary>
    public static readonly TimeSpan RenewalPeriod = TimeSpan.FromSeconds(30);

    public static int ShardOf(string deviceId) => (int)(StableHash(deviceId) % Shards);

    /// <summary>FNV-1a over UTF-16 code units: stable across processes, unlike string.GetHashCode.</summary>
    public static uint StableHash(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return hash;
    }
}
