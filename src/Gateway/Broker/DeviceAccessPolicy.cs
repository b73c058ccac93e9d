using FleetQuant.Protocol.Topics;

namespace FleetQuant.Gateway.Broker;

/// <summary>
/// The per-device ACL: a device publishes only the protocol's uplink kinds <c>fq/{its id}/up/{kind}</c> and subscribes
/// only to filters under <c>fq/{its id}/down/</c>. Shared subscriptions and every other topic are refused.
/// </summary>
public static class DeviceAccessPolicy
{
    /// <summary>The uplink message kinds of the protocol; any other subtopic is refused at the broker.</summary>
    public static readonly IReadOnlyList<string> UplinkKinds =
        [DeviceTopics.Hello, DeviceTopics.Telemetry, DeviceTopics.Update, DeviceTopics.ChunkRequest, DeviceTopics.Status];

    public static bool MayPublish(string deviceId, string topic)
    {
        if (!DeviceTopics.IsValidDeviceId(deviceId))
        {
            return false;
        }
        var prefix = DeviceTopics.UplinkPrefix(deviceId);
        return topic.Length > prefix.Length && topic.StartsWith(prefix, StringComparison.Ordinal)
            && UplinkKinds.Contains(topic[prefix.Length..], StringComparer.Ordinal);
    }

    public static bool MaySubscribe(string deviceId, string filter)
    {
        if (!DeviceTopics.IsValidDeviceId(deviceId))
        {
            return false;
        }
        var prefix = DeviceTopics.DownlinkPrefix(deviceId);
        return filter.Length > prefix.Length && filter.StartsWith(prefix, StringComparison.Ordinal);
    }
}
