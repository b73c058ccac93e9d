using FleetQuant.DeviceAgent.Updates;

namespace FleetQuant.DeviceAgent.Simulation;

/// <summary>Faults a simulated device injects into its own updates, to prove the agent survives them.</summary>
public sealed record FaultPlan
{
    public static readonly FaultPlan None = new();

    /// <summary>Drop the MQTT connection once, after this many bytes of a download arrived.</summary>
    public long? DropConnectionAfterBytes { get; init; }

    /// <summary>Flip a bit in the n-th chunk the device receives (1-based), once.</summary>
    public int? CorruptChunkNumber { get; init; }

    /// <summary>Stop dead when an update reaches this checkpoint, as a power cut would (<c>--power-cut</c>: <see cref="UpdateCheckpoint.Staged"/>).</summary>
    public UpdateCheckpoint? PowerCutAt { get; init; }
}
