namespace FleetQuant.Gateway.Hosting;

/// <summary>Broker and bridge settings. Bound from <c>FleetQuant:Mqtt</c>.</summary>
public sealed class MqttOptions
{
    public const string Section = "FleetQuant:Mqtt";

    public const string EmbeddedBroker = "embedded";

    /// <summary><c>embedded</c> (run MQTTnet's broker in this process) or <c>host:port</c> of an external broker.</summary>
    public string Broker { get; set; } = EmbeddedBroker;

    /// <summary>
    /// Addresses the embedded broker listens on, comma-separated: at most one IPv4 and one IPv6 address (MQTTnet binds
    /// one of each). Only these are bound: no wildcard is added for the other family.
    /// </summary>
    public string ListenAddress { get; set; } = "127.0.0.1,::1";

    /// <summary>Port the embedded broker listens on; 0 picks a free port (see <c>BrokerEndpoint.Port</c>).</summary>
    public int Port { get; set; } = 1883;

    /// <summary>The Gateway's own broker account, which may publish and subscribe anywhere.</summary>
    public string GatewayUser { get; set; } = "fleetquant-gateway";

    /// <summary>The Gateway account's password; generated per process when empty (embedded broker only).</summary>
    public string? GatewaySecret { get; set; }

    /// <summary>
    /// Shared-subscription group for an external broker (<c>$share/{group}/fq/+/up/#</c>), so several Gateways split
    /// the traffic; empty subscribes plainly. The embedded MQTTnet broker has no shared subscriptions, so it never uses one.
    /// </summary>
    public string SharedGroup { get; set; } = "fleetquant";

    /// <summary>How long a verified device credential is trusted without asking its grain again.</summary>
    public TimeSpan CredentialCacheTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest publish payload a device may send (the protocol's JSON limit); larger ones are refused and the client disconnected.</summary>
    public int MaxMessageBytes { get; set; } = 256 * 1024;

    /// <summary>Sustained uplink messages per second one device may publish; the excess is dropped.</summary>
    public double DeviceMessagesPerSecond { get; set; } = 200;

    /// <summary>Uplink messages one device may publish in a burst above the sustained rate.</summary>
    public int DeviceMessageBurst { get; set; } = 400;

    /// <summary>Client connections the embedded broker accepts at once (the Gateway's own connection is always let in).</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Messages the embedded broker queues for one client before dropping the oldest (also bounds QoS 1 in flight).</summary>
    public int MaxPendingMessagesPerClient { get; set; } = 1000;

    /// <summary>The embedded broker's listen addresses, parsed (the validator has checked them).</summary>
    public IReadOnlyList<System.Net.IPAddress> ListenAddresses() =>
        [.. ListenAddress.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(System.Net.IPAddress.Parse)];

    public bool IsEmbedded => string.Equals(Broker, EmbeddedBroker, StringComparison.OrdinalIgnoreCase);
}
