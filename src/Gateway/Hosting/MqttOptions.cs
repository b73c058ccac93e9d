namespace FleetQuant.Gateway.Hosting;

/// <summary>Broker and bridge settings. Bound from <c>FleetQuant:Mqtt</c>.</summary>
public sealed class MqttOptions
{
    public const string Section = "FleetQuant:Mqtt";

    public const string EmbeddedBroker = "embedded";

    /// <summary><c>embedded</c> (run MQTTnet's broker in this process) or <c>host:port</c> of an external broker.</summary>
    public string Broker { get; set; } = EmbeddedBroker;

    /// <summary>Address the embedded broker listens on.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

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

    public bool IsEmbedded => string.Equals(Broker, EmbeddedBroker, StringComparison.OrdinalIgnoreCase);
}
