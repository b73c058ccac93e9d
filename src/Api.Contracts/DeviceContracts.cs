using System.Text.Json.Serialization;

namespace FleetQuant.Api.Contracts;

/// <summary><c>POST /api/devices</c>: registers a device; class and tags are placeholders until its first hello reports the real profile.</summary>
public sealed record ProvisionDeviceRequest
{
    public required string DeviceId { get; init; }

    public string? HardwareClass { get; init; }

    public Dictionary<string, string>? Tags { get; init; }
}

/// <summary>What a device needs to connect: shown once (the secret is stored only hashed).</summary>
public sealed record ProvisionDeviceResponse(string DeviceId, string Secret, string MqttHost, int MqttPort, string ServerPublicKeyPem);

/// <summary>A device's coarse state, as listed by the fleet index.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeviceState>))]
public enum DeviceState
{
    Provisioned,
    UpToDate,
    Updating,
    Failed,
    Unfit,
}

/// <summary>One device in a listing.</summary>
public sealed record DeviceSummary(
    string DeviceId,
    string HardwareClass,
    IReadOnlyDictionary<string, string> Tags,
    DeviceState State,
    string? ModelId,
    string? Version,
    string? RecipeId);

/// <summary><c>GET /api/devices</c>: a page of devices ordered by id; pass <see cref="Next"/> as <c>after</c> to continue.</summary>
public sealed record DeviceListResponse(IReadOnlyList<DeviceSummary> Devices, int Total, string? Next);

/// <summary>A device's hardware and link, as it measured and reported them.</summary>
public sealed record DeviceProfileInfo(
    string DeviceId,
    string HardwareClass,
    string Arch,
    int CpuCores,
    IReadOnlyList<string> CpuFeatures,
    long RamBytes,
    long ModelMemoryBudgetBytes,
    long StorageBytes,
    long BandwidthBitsPerSecond,
    long? DataCapBytesPerMonth,
    string OrtVersion,
    string AgentVersion,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>How a planned model travels to the device.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TransferMode>))]
public enum TransferMode
{
    Full,
    Delta,
}

/// <summary>The planner's answer for one device: a recipe and how it travels, or unfit with the reason.</summary>
public sealed record DevicePlan(bool Unfit, string? RecipeId, TransferMode? Transfer, long Bytes, double Seconds, string Reason);

/// <summary>An optional delta: bytes that turn the device's current artifact into the desired one.</summary>
public sealed record DeltaTransfer(string BaseHash, string DeltaHash, long DeltaBytes);

/// <summary>
/// What the device should run; <see cref="Release"/> increases with every change, <see cref="TargetArch"/> is the
/// architecture the recipe was planned for.
/// </summary>
public sealed record DesiredState(
    string ModelId,
    string Version,
    string RecipeId,
    string ArtifactHash,
    long ArtifactBytes,
    DeltaTransfer? Delta,
    long Release,
    string? RolloutId,
    string Reason,
    DateTimeOffset IssuedAt,
    string? TargetArch = null)
{
    /// <summary>Bytes that actually travel: the delta when there is one, else the full artifact.</summary>
    public long TransferBytes => Delta?.DeltaBytes ?? ArtifactBytes;
}

/// <summary>Aggregates over the device's sliding telemetry window (since its current artifact started).</summary>
public sealed record TelemetryAggregates(
    int Reports,
    long Inferences,
    long Errors,
    double? LatencyP50Ms,
    double? LatencyP95Ms,
    long? PeakMemoryBytes,
    double? MeanTop1Confidence,
    long? DownloadBitsPerSecond);

/// <summary>One finished (or abandoned) update in a device's bounded history.</summary>
public sealed record UpdateHistoryEntry(
    long Release,
    string ModelId,
    string Version,
    string RecipeId,
    string? RolloutId,
    bool Succeeded,
    string? Error,
    DateTimeOffset At);

/// <summary>Whether the device is connected to the broker, and since when (server clock).</summary>
public sealed record DeviceConnection(bool Online, DateTimeOffset Since);

/// <summary><c>GET /api/devices/{id}</c>: everything an operator sees about one device.</summary>
public sealed record DeviceView(
    string DeviceId,
    DeviceProfileInfo? Profile,
    DeviceState State,
    string? CurrentArtifactHash,
    DesiredState? Desired,
    DevicePlan? LastPlan,
    TelemetryAggregates Telemetry,
    IReadOnlyList<UpdateHistoryEntry> History,
    DateTimeOffset? LastSeen,
    DeviceConnection? Connection = null);

/// <summary>
/// <c>GET /api/broker/mosquitto</c>: what an external Mosquitto 2 broker needs for FleetQuant: the password file, the
/// ACL file, and a <c>mosquitto.conf</c> carrying the same limits as the embedded broker.
/// </summary>
public sealed record MosquittoConfig(string PasswordFile, string AclFile, string ConfFile);
