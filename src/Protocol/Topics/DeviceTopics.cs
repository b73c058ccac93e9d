using System.Diagnostics.CodeAnalysis;

namespace FleetQuant.Protocol.Topics;

/// <summary>
/// MQTT topic layout. Devices publish only under <c>fq/{id}/up/…</c> and subscribe only to <c>fq/{id}/down/…</c>,
/// so a per-device ACL is two patterns and a device cannot write the cloud's retained messages, even its own.
/// </summary>
public static class DeviceTopics
{
    public const string Root = "fq";
    public const int MaxDeviceIdLength = 64;

    public const string Hello = "hello";
    public const string Telemetry = "telemetry";
    public const string Update = "update";
    public const string ChunkRequest = "chunk-request";
    public const string Status = "status";

    public const string Desired = "desired";
    public const string ChunkResponse = "chunk";
    public const string Command = "command";

    /// <summary>Everything devices publish, for a broker-side subscriber (shared subscriptions prefix it with $share).</summary>
    public const string AllUplink = Root + "/+/up/#";

    public static string Up(string deviceId, string kind) => $"{Root}/{Checked(deviceId)}/up/{kind}";

    public static string Down(string deviceId, string kind) => $"{Root}/{Checked(deviceId)}/down/{kind}";

    public static string UplinkPrefix(string deviceId) => $"{Root}/{Checked(deviceId)}/up/";

    public static string DownlinkPrefix(string deviceId) => $"{Root}/{Checked(deviceId)}/down/";

    /// <summary>Splits <c>fq/{id}/up/{kind}</c>; false for anything else (including malformed ids).</summary>
    public static bool TryParseUplink(string topic, [NotNullWhen(true)] out string? deviceId, [NotNullWhen(true)] out string? kind)
    {
        deviceId = null;
        kind = null;
        var parts = topic.Split('/');
        if (parts.Length != 4 || parts[0] != Root || parts[2] != "up" || !IsValidDeviceId(parts[1]) || parts[3].Length == 0)
        {
            return false;
        }
        deviceId = parts[1];
        kind = parts[3];
        return true;
    }

    /// <summary>The device id grammar in words, for error messages: <c>[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}</c>.</summary>
    public const string DeviceIdGrammar = "1–64 characters of A-Z a-z 0-9 . _ -, not starting with '.'";

    /// <summary>
    /// Device ids match <c>[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}</c>: safe in topics, file names and ACL files. The first
    /// character is never a dot, so no id is <c>.</c>, <c>..</c> or a hidden file name.
    /// </summary>
    public static bool IsValidDeviceId([NotNullWhen(true)] string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= MaxDeviceIdLength && id[0] != '.'
        && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private static string Checked(string deviceId) =>
        IsValidDeviceId(deviceId) ? deviceId : throw new ArgumentException($"invalid device id '{deviceId}' ({DeviceIdGrammar})", nameof(deviceId));
}
