using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;

namespace FleetQuant.Gateway.Hosting;

/// <summary>Broker and bridge settings. Bound from <c>FleetQuant:Mqtt</c>.</summary>
public sealed class MqttOptions : IValidatableObject
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
    [Required(ErrorMessage = Section + ":GatewayUser must not be empty.")]
    public string GatewayUser { get; set; } = "fleetquant-gateway";

    /// <summary>The Gateway account's password; generated per process when empty (embedded broker only).</summary>
    public string? GatewaySecret { get; set; }

    /// <summary>
    /// Shared-subscription group for an external broker (<c>$share/{group}/fq/+/up/#</c>), so several Gateways split
    /// the traffic; empty subscribes plainly. The embedded MQTTnet broker has no shared subscriptions, so it never uses one.
    /// </summary>
    public string SharedGroup { get; set; } = "fleetquant";

    /// <summary>How long a verified device credential is trusted without asking its grain again.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = Section + ":CredentialCacheTime must be between {1} and {2}.")]
    public TimeSpan CredentialCacheTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest publish payload a device may send (the protocol's JSON limit); larger ones are refused and the client disconnected.</summary>
    [Range(1, 16 * 1024 * 1024, ErrorMessage = Section + ":MaxMessageBytes must be between {1} and {2}.")]
    public int MaxMessageBytes { get; set; } = 256 * 1024;

    /// <summary>Sustained uplink messages per second one device may publish; the excess is dropped.</summary>
    [Range(0.001, 1_000_000, ErrorMessage = Section + ":DeviceMessagesPerSecond must be between {1} and {2}.")]
    public double DeviceMessagesPerSecond { get; set; } = 200;

    /// <summary>Uplink messages one device may publish in a burst above the sustained rate.</summary>
    [Range(1, 1_000_000, ErrorMessage = Section + ":DeviceMessageBurst must be between {1} and {2}.")]
    public int DeviceMessageBurst { get; set; } = 400;

    /// <summary>Client connections the embedded broker accepts at once (the Gateway's own connection is always let in).</summary>
    [Range(1, 1_000_000, ErrorMessage = Section + ":MaxConnections must be between {1} and {2}.")]
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Messages the embedded broker queues for one client before dropping the oldest (also bounds QoS 1 in flight).</summary>
    [Range(1, 1_000_000, ErrorMessage = Section + ":MaxPendingMessagesPerClient must be between {1} and {2}.")]
    public int MaxPendingMessagesPerClient { get; set; } = 1000;

    /// <summary>The embedded broker's listen addresses, parsed (the validator has checked them).</summary>
    public IReadOnlyList<IPAddress> ListenAddresses() =>
        [.. ListenAddress.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(IPAddress.Parse)];

    public bool IsEmbedded => string.Equals(Broker, EmbeddedBroker, StringComparison.OrdinalIgnoreCase);

    /// <summary>Rules that depend on the broker kind, which the attributes cannot state.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (IsEmbedded)
        {
            foreach (var problem in ListenAddressProblems())
            {
                yield return new ValidationResult(problem, [nameof(ListenAddress)]);
            }
            if (Port is < 0 or > 65535)
            {
                yield return new ValidationResult($"{Section}:Port must be 0..65535 (0 picks a free port).", [nameof(Port)]);
            }
            yield break;
        }
        if (!BrokerEndpoint.TryParseHostPort(Broker, out _, out _))
        {
            yield return new ValidationResult($"{Section}:Broker must be 'embedded' or host:port, got '{Broker}'.", [nameof(Broker)]);
        }
        if (string.IsNullOrEmpty(GatewaySecret))
        {
            yield return new ValidationResult(
                $"{Section}:GatewaySecret must be set for an external broker (the same password as in its password_file).", [nameof(GatewaySecret)]);
        }
    }

    private IEnumerable<string> ListenAddressProblems()
    {
        var parts = ListenAddress.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var addresses = new List<IPAddress>();
        foreach (var part in parts)
        {
            if (IPAddress.TryParse(part, out var address))
            {
                addresses.Add(address);
            }
            else
            {
                yield return $"{Section}:ListenAddress '{part}' is not an IP address.";
            }
        }
        if (parts.Length == 0)
        {
            yield return $"{Section}:ListenAddress must name at least one IP address.";
        }
        if (addresses.Count(a => a.AddressFamily == AddressFamily.InterNetwork) > 1
            || addresses.Count(a => a.AddressFamily == AddressFamily.InterNetworkV6) > 1)
        {
            yield return $"{Section}:ListenAddress may hold at most one IPv4 and one IPv6 address (MQTTnet binds one of each).";
        }
    }
}
