namespace FleetQuant.DeviceAgent.Updates;

/// <summary>Faults a simulated device injects into its own updates, to prove the agent survives them.</summary>
public sealed record FaultPlan
{
    public static readonly FaultPlan None = new();

    /// <summary>Drop the MQTT connection once, after this many bytes of a download arrived.</summary>
    public long? DropConnectionAfterBytes { get; init; }

    /// <summary>Flip a bit in the n-th chunk the device receives (1-based), once.</summary>
    public int? CorruptChunkNumber { get; init; }

    /// <summary>Stop dead after the new model is written but before it is activated, as a power cut would.</summary>
    public bool PowerCutBeforeActivate { get; init; }
}

/// <summary>Thrown by fault injection to stop an agent the way a power cut would.</summary>
public sealed class SimulatedPowerCutException() : Exception("simulated power cut during apply");
