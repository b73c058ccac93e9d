using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FleetQuant.DeviceAgent.Simulation;

/// <summary>How many devices of a hardware class run which model (<c>{model} v{version} {recipe}</c>, or "none").</summary>
public sealed record ClassSummary(string HardwareClass, int Devices, IReadOnlyDictionary<string, int> Installed);

/// <summary>One failed or rejected update report, for the summary's sample of problems.</summary>
public sealed record DeviceProblem(string DeviceId, string Stage, long Release, string? Reason);

/// <summary>Where the simulated fleet stands: devices per class and installed model, bytes moved, failures, faults survived.</summary>
public sealed record FleetSummary
{
    /// <summary>At most this many problems are listed (the counts cover all of them).</summary>
    public const int MaxListedProblems = 20;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public required int Devices { get; init; }

    public required int Connected { get; init; }

    public required IReadOnlyList<ClassSummary> Classes { get; init; }

    /// <summary>Bytes of the objects the devices downloaded for updates (delta or artifact, once each).</summary>
    public required long BytesDownloaded { get; init; }

    /// <summary>Payload bytes of every chunk frame that arrived, retransmissions and corrupt chunks included.</summary>
    public required long ChunkBytesReceived { get; init; }

    public required int UpdatesSucceeded { get; init; }

    public required int UpdatesFailed { get; init; }

    public required int ManifestsRejected { get; init; }

    public required int CorruptChunksRefetched { get; init; }

    public required int PowerCuts { get; init; }

    public required IReadOnlyList<DeviceProblem> Problems { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{Devices} devices, {Connected} connected");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"class",-14} {"devices",8}  installed");
        foreach (var group in Classes)
        {
            var installed = string.Join(", ", group.Installed.OrderByDescending(p => p.Value).Select(p => $"{p.Key} × {p.Value}"));
            text.AppendLine(CultureInfo.InvariantCulture, $"{group.HardwareClass,-14} {group.Devices,8}  {installed}");
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"downloaded {BytesDownloaded:N0} B ({ChunkBytesReceived:N0} B of chunk frames received)");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"updates: {UpdatesSucceeded} succeeded, {UpdatesFailed} failed, {ManifestsRejected} manifests rejected; {CorruptChunksRefetched} corrupt chunks re-fetched, {PowerCuts} power cuts");
        foreach (var problem in Problems)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {problem.DeviceId}: {problem.Stage} release {problem.Release}: {problem.Reason}");
        }
        return text.ToString();
    }
}
