using System.ComponentModel.DataAnnotations;

namespace FleetQuant.Grains.Hosting;

/// <summary>Defaults for rollouts that do not say otherwise, and the rollout driver's cadence. Bound from "FleetQuant:Rollouts".</summary>
public sealed class RolloutOptions
{
    public const string Section = "FleetQuant:Rollouts";

    /// <summary>How often the durable reminder wakes a running rollout (survives restarts; Orleans' minimum is one minute).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = Section + ":ReminderPeriod must be between {1} and {2}.")]
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the in-memory timer paces dispatch while the rollout grain is active.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00", ErrorMessage = Section + ":TickPeriod must be between {1} and {2}.")]
    public TimeSpan TickPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Devices asked to update per fan-out batch; 0 would never advance the dispatch.</summary>
    [Range(1, 100_000, ErrorMessage = Section + ":DispatchBatchSize must be between {1} and {2}.")]
    public int DispatchBatchSize { get; set; } = 500;

    /// <summary>
    /// Longest one call or tick keeps dispatching before it returns; the next tick carries on. A 100k-device wave
    /// then never holds <c>Start()</c> past the caller's 30 s response time-out. Each slice ends with a full state
    /// write (2–3 s for 100k devices on 2 cores), so shorter slices cost throughput: 5 s made a 100k fan-out take
    /// 49 s instead of 27 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = Section + ":DispatchSlice must be between {1} and {2}.")]
    public TimeSpan DispatchSlice { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Fleet-wide download budget when a rollout names none; 0 means unlimited.</summary>
    [Range(0, long.MaxValue, ErrorMessage = Section + ":DefaultBandwidthBytesPerMinute must not be negative (0 means unlimited).")]
    public long DefaultBandwidthBytesPerMinute { get; set; }

    /// <summary>
    /// How long devices the cluster cannot reach (a silo leaving, a storage hiccup) are retried on later ticks before
    /// they count as failed. A device's own error counts at once; a silo restart must not trip the failure threshold.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = Section + ":UnreachableGrace must be between {1} and {2}.")]
    public TimeSpan UnreachableGrace { get; set; } = TimeSpan.FromMinutes(2);
}
