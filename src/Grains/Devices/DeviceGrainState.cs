using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Planning;

namespace FleetQuant.Grains.Devices;

/// <summary>Persistent state of a <see cref="DeviceGrain"/>.</summary>
[GenerateSerializer, Alias("fq.DeviceGrainState")]
public sealed class DeviceGrainState
{
    [Id(0)]
    public DeviceProfileInfo? Profile { get; set; }

    [Id(1)]
    public byte[]? SecretSalt { get; set; }

    [Id(2)]
    public byte[]? SecretHash { get; set; }

    /// <summary>The artifact the device last said (or confirmed) it runs.</summary>
    [Id(3)]
    public string? CurrentArtifactHash { get; set; }

    /// <summary>The model behind <see cref="CurrentArtifactHash"/>, when it came from a desired state.</summary>
    [Id(4)]
    public InstalledModel? Current { get; set; }

    /// <summary>What the device ran before its latest assignment: where a rollback sends it.</summary>
    [Id(5)]
    public InstalledModel? Previous { get; set; }

    [Id(6)]
    public DesiredState? Desired { get; set; }

    [Id(7)]
    public DevicePlan? LastPlan { get; set; }

    /// <summary>Last release issued; only ever grows.</summary>
    [Id(8)]
    public long Release { get; set; }

    [Id(9)]
    public DeviceState State { get; set; }

    [Id(10)]
    public List<UpdateHistoryEntry> History { get; set; } = [];

    [Id(11)]
    public DateTimeOffset? LastSeen { get; set; }

    [Id(12)]
    public List<TelemetryWindowEntry> Telemetry { get; set; } = [];

    /// <summary>Online or offline since when; null until the device's first status message.</summary>
    [Id(13)]
    public DeviceConnection? Connection { get; set; }

    /// <summary>Bytes the Gateway served of the latest few transfer objects (artifacts, deltas): what success is checked against.</summary>
    [Id(14)]
    public List<ServedObject> Served { get; set; } = [];
}

/// <summary>Which bytes of one transfer object (by SHA-256) the Gateway served this device (<see cref="ServedRanges"/>).</summary>
[GenerateSerializer, Immutable, Alias("fq.ServedObject")]
public sealed record ServedObject(
    [property: Id(0)] string ObjectHash,
    [property: Id(1)] long[] Ranges)
{
    public long Bytes => ServedRanges.Covered(Ranges);
}

/// <summary>A model a device runs (or ran): enough to send it back there.</summary>
[GenerateSerializer, Immutable, Alias("fq.InstalledModel")]
public sealed record InstalledModel(
    [property: Id(0)] string ModelId,
    [property: Id(1)] string Version,
    [property: Id(2)] string RecipeId,
    [property: Id(3)] string ArtifactHash,
    [property: Id(4)] long ArtifactBytes);

/// <summary>One telemetry report as kept in the sliding window (<see cref="Inferences"/> null: one per latency).</summary>
[GenerateSerializer, Immutable, Alias("fq.TelemetryWindowEntry")]
public sealed record TelemetryWindowEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] double[] LatenciesMs,
    [property: Id(2)] int Errors,
    [property: Id(3)] long MemoryBytes,
    [property: Id(4)] double? MeanTop1Confidence,
    [property: Id(5)] long? DownloadBitsPerSecond,
    [property: Id(6)] int? Inferences = null);
