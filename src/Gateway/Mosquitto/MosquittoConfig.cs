using System.Text;
using FleetQuant.Protocol.Topics;

namespace FleetQuant.Gateway.Mosquitto;

/// <summary>The two files an external Mosquitto 2 broker needs for FleetQuant's device authentication and ACL.</summary>
public sealed record MosquittoConfig(string PasswordFile, string AclFile);

/// <summary>Writes Mosquitto's <c>password_file</c> and a pattern <c>acl_file</c> (devices: own up/ write, own down/ read).</summary>
public static class MosquittoConfigWriter
{
    public static MosquittoConfig Write(string gatewayUser, string gatewayHash, IEnumerable<(string DeviceId, string Hash)> devices)
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
            .Append("topic readwrite ").Append(DeviceTopics.Root).Append("/#\n\n")
            .Append("pattern write ").Append(DeviceTopics.Root).Append("/%u/up/#\n")
            .Append("pattern read ").Append(DeviceTopics.Root).Append("/%u/down/#\n");
        return new MosquittoConfig(passwords.ToString(), acl.ToString());
    }
}
