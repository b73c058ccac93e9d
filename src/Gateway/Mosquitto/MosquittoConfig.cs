using System.Text;
using FleetQuant.Api.Contracts;
using FleetQuant.Gateway.Broker;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Protocol.Topics;

namespace FleetQuant.Gateway.Mosquitto;

/// <summary>
/// Writes Mosquitto's <c>password_file</c>, a pattern <c>acl_file</c> (devices: write only the protocol's uplink kinds
/// under their own <c>up/</c>, read their own <c>down/</c>) and a <c>mosquitto.conf</c> with FleetQuant's broker limits.
/// </summary>
public static class MosquittoConfigWriter
{
    /// <summary>Room for the fixed header, topic and MQTT 5 properties on top of the largest payload.</summary>
    public const int PacketOverheadBytes = 1024;

    /// <summary>Mosquitto's own default for QoS 1/2 messages in flight per client (MQTTnet does not bound it apart from the queue).</summary>
    public const int MaxInflightMessages = 20;

    public static MosquittoConfig Write(string gatewayUser, string gatewayHash, IEnumerable<(string DeviceId, string Hash)> devices, MqttOptions? limits = null)
    {
        var passwords = new StringBuilder();
        passwords.Append(gatewayUser).Append(':').Append(gatewayHash).Append('\n');
        foreach (var (deviceId, hash) in devices)
        {
            // Ids are restricted to [A-Za-z0-9._-], so they cannot break the file's "user:hash" lines.
            if (DeviceTopics.IsValidDeviceId(deviceId) && deviceId != gatewayUser)
            {
                passwords.Append(deviceId).Append(':').Append(hash).Append('\n');
            }
        }

        var acl = new StringBuilder()
            .Append("# FleetQuant: the Gateway reads and writes every device topic; devices only their own.\n")
            .Append("user ").Append(gatewayUser).Append('\n')
            .Append("topic readwrite ").Append(DeviceTopics.Root).Append("/#\n\n");
        foreach (var kind in DeviceAccessPolicy.UplinkKinds)
        {
            acl.Append("pattern write ").Append(DeviceTopics.Root).Append("/%u/up/").Append(kind).Append('\n');
        }
        acl.Append("pattern read ").Append(DeviceTopics.Root).Append("/%u/down/#\n");

        var conf = new StringBuilder()
            .Append("# FleetQuant: mosquitto.conf for devices and Gateways. Bind one address with 'listener 1883 <address>'.\n")
            .Append("listener 1883\n")
            .Append(LimitSettings(limits ?? new MqttOptions()))
            .Append("allow_anonymous false\n")
            .Append("use_username_as_clientid true\n")
            .Append("password_file /etc/mosquitto/fleetquant.passwd\n")
            .Append("acl_file /etc/mosquitto/fleetquant.acl\n");
        return new MosquittoConfig(passwords.ToString(), acl.ToString(), conf.ToString());
    }

    /// <summary>
    /// The limit lines (from <c>FleetQuant:Mqtt:*</c>); <c>max_connections</c> applies to the listener it follows.
    /// Mosquitto has no per-client message rate and cannot forbid retain per client: the bridge rate-limits, and the
    /// ACL's five uplink topics times <c>max_packet_size</c> bound what one device can leave retained.
    /// </summary>
    public static string LimitSettings(MqttOptions limits) => new StringBuilder()
        .Append("max_connections ").Append(limits.MaxConnections).Append('\n')
        .Append("max_packet_size ").Append(limits.MaxMessageBytes + PacketOverheadBytes).Append('\n')
        .Append("max_inflight_messages ").Append(MaxInflightMessages).Append('\n')
        .Append("max_queued_messages ").Append(limits.MaxPendingMessagesPerClient).Append('\n')
        .ToString();
}
