namespace FleetQuant.Grains.Hosting;

/// <summary>
/// Names of the grain storage providers the grains persist to. A host binds a provider (memory, SQLite, Redis)
/// to each name; keeping them in one place lets every host agree with the grains.
/// </summary>
public static class StorageNames
{
    /// <summary>Device grains: profile, telemetry window, current and desired state, history, credentials.</summary>
    public const string Devices = "fleetquant-devices";

    /// <summary>Model grains: versions, ladders, built artifacts and deltas.</summary>
    public const string Models = "fleetquant-models";

    /// <summary>Rollout grains: selector, waves, thresholds, state machine and per-device status.</summary>
    public const string Rollouts = "fleetquant-rollouts";

    /// <summary>Fleet index shard grains: device summaries.</summary>
    public const string FleetIndex = "fleetquant-fleet-index";

    /// <summary>Every name above, for hosts that bind one provider to all of them.</summary>
    public static IReadOnlyList<string> All { get; } = [Devices, Models, Rollouts, FleetIndex];
}
