using Orleans.Concurrency;

namespace FleetQuant.Grains.Rollouts;

/// <summary>
/// One rollout (key: rollout id): pending → running ⇄ paused → completed | aborted | rolled back. Progress is
/// driven by a durable reminder (survives restarts) and a grain timer for pacing; <see cref="Tick"/> is the
/// step both call.
/// </summary>
[Alias("fq.IRolloutGrain")]
public interface IRolloutGrain : IGrainWithStringKey
{
    [Alias("Create")]
    Task<RolloutView> Create(RolloutSpec spec);

    /// <summary>Selects the targets through the fleet index and starts the first wave.</summary>
    [Alias("Start")]
    Task<RolloutView> Start();

    [Alias("Pause")]
    Task<RolloutView> Pause(string reason);

    [Alias("Resume")]
    Task<RolloutView> Resume();

    [Alias("Abort")]
    Task<RolloutView> Abort(string reason);

    /// <summary>Sends every device this rollout touched back to what it ran before.</summary>
    [Alias("RollBack")]
    Task<RolloutView> RollBack(string reason);

    /// <summary>One step: dispatch within the bandwidth budget, apply thresholds and the health gate, advance.</summary>
    [Alias("Tick")]
    Task<RolloutView> Tick();

    [Alias("GetView")]
    Task<RolloutView> GetView();

    /// <summary>A device finished (or failed) the update this rollout gave it. Idempotent per device.</summary>
    [OneWay]
    [Alias("ReportDeviceOutcome")]
    Task ReportDeviceOutcome(string deviceId, bool succeeded, string? error);
}
