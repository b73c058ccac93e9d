using FleetQuant.Protocol.Topics;

namespace FleetQuant.Gateway.Broker;

/// <summary>
/// The per-device ACL: a device publishes only topics under <c>fq/{its id}/up/</c> (no wildcards) and subscribes only
/// to filters under <c>fq/{its id}/down/</c>. Shared subscriptions and every other topic are refused.
/// </summary>
public static class DeviceAccessPolicy
{
    public static bool MayPublish(string deviceId, string topic)
    {
        if (!DeviceTopics.IsValidDeviceId(deviceId))
        {
            return false;
        }
        var prefix = DeviceTopics.UplinkPrefix(deviceId);
        return topic.Length > prefix.Length && topic.StartsWith(prefix, StringComparison.Ordinal) && topic.IndexOfAny(['+', '#']) < 0;
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
