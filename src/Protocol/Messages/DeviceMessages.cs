namespace FleetQuant.Protocol.Messages;

/// <summary>Sent by a device when it connects: who it is, what it runs, what it can take.</summary>
public sealed record HelloMessage
{
    public required DeviceProfile Profile { get; init; }

    public required string AgentVersion { get; init; }

    /// <summary>SHA-256 (hex) of the artifact the device runs now; null before its first model.</summary>
    public string? CurrentArtifactSha256 { get; init; }

    /// <summary>Highest manifest release the device has accepted (its anti-rollback floor).</summary>
    public long LastAcceptedRelease { get; init; }

    /// <summary>
    /// Throws <see cref="ProtocolException"/> for fields a hostile sender set to JSON null (which satisfies
    /// <c>required</c>) or to negative sizes.
    /// </summary>
    public void Validate()
    {
        var p = Profile;
        if (p is null || AgentVersion is null || p.DeviceId is null || p.HardwareClass is null || p.Arch is null
            || p.OrtVersion is null || p.AgentVersion is null || p.CpuFeatures is null || p.CpuFeatures.Any(f => f is null)
            || p.Tags is null || p.Tags.Values.Any(v => v is null))
        {
            throw new ProtocolException("HelloMessage: profile, agent version, identity, features and tags must not be null");
        }
        if (p.CpuCores < 0 || p.RamBytes < 0 || p.ModelMemoryBudgetBytes < 0 || p.StorageBytes < 0 || p.BandwidthBitsPerSecond < 0 || p.DataCapBytesPerMonth is < 0)
        {
            throw new ProtocolException("HelloMessage: cores, memory, storage, bandwidth and data cap must be non-negative");
        }
    }
}

/// <summary>
/// What the model running on the device did since the last message: the latencies themselves (not percentiles, which
/// cannot be merged across messages or devices), at most <see cref="MaxLatencySamples"/> of them, plus counts,
/// confidence and memory.
/// </summary>
public sealed record TelemetryMessage
{
    /// <summary>Keeps a message small (about 5 KiB of JSON) however long the interval or fast the model.</summary>
    public const int MaxLatencySamples = 256;

    public required DateTimeOffset At { get; init; }

    public string? ArtifactSha256 { get; init; }

    /// <summary>Successful inferences in the interval; more than the samples when the device had to sample.</summary>
    public int Inferences { get; init; }

    public int Errors { get; init; }

    /// <summary>
    /// Latency of each successful inference in milliseconds; when there were more than <see cref="MaxLatencySamples"/>,
    /// a uniform random sample of them.
    /// </summary>
    public IReadOnlyList<double> LatenciesMs { get; init; } = [];

    /// <summary>Mean top-1 probability over all successful inferences: an accuracy proxy that needs no labels; null without any.</summary>
    public double? MeanConfidence { get; init; }

    public long MemoryBytes { get; init; }

    /// <summary>Download bandwidth observed during the last transfer, when there was one.</summary>
    public long? DownloadBitsPerSecond { get; init; }

    /// <summary>
    /// Throws <see cref="ProtocolException"/> when the message's shape breaks the limits above (a buggy or hostile
    /// sender). Values out of their physical bounds (a negative latency, a confidence of 1.5) are not refused here: the
    /// device grain drops each such value alone and counts it, keeping the rest of the message.
    /// </summary>
    public void Validate()
    {
        // JSON null overrides the empty default, so the list itself can be missing.
        if (LatenciesMs is null)
        {
            throw new ProtocolException("TelemetryMessage: latenciesMs must be a list (empty when nothing ran)");
        }
        if (LatenciesMs.Count > MaxLatencySamples)
        {
            throw new ProtocolException($"TelemetryMessage: {LatenciesMs.Count} latency samples, at most {MaxLatencySamples} allowed (sample them)");
        }
    }
}

public enum UpdateStage
{
    Accepted,
    Downloading,
    Verifying,
    Applying,
    Succeeded,
    Failed,
    RolledBack,
    Rejected,
}

/// <summary>Progress and outcome of applying one manifest.</summary>
public sealed record UpdateReport
{
    public required long Release { get; init; }

    public required UpdateStage Stage { get; init; }

    public long BytesReceived { get; init; }

    public long BytesTotal { get; init; }

    /// <summary>SHA-256 of the artifact the device runs after this step.</summary>
    public string? ArtifactSha256 { get; init; }

    /// <summary>Why it failed, was rejected or rolled back; a person reads this.</summary>
    public string? Reason { get; init; }

    public double? Seconds { get; init; }
}

/// <summary>A device asks for one range of a transfer object (an artifact or a delta, by SHA-256).</summary>
public sealed record ChunkRequest
{
    public required string ObjectSha256 { get; init; }

    public required long Offset { get; init; }

    public required int Length { get; init; }

    public required int RequestId { get; init; }
}

public enum CommandKind
{
    /// <summary>Return to the previously installed model.</summary>
    Rollback,

    /// <summary>Change how often telemetry is sent.</summary>
    SetTelemetryInterval,
}

/// <summary>An instruction from the cloud outside the desired-state flow.</summary>
public sealed record DeviceCommand
{
    public required CommandKind Kind { get; init; }

    public int? TelemetryIntervalSeconds { get; init; }
}

/// <summary>Online/offline marker; the offline form is the connection's last will.</summary>
public sealed record StatusMessage
{
    public required bool Online { get; init; }
}
