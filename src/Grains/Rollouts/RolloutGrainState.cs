using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;

namespace FleetQuant.Grains.Rollouts;

/// <summary>Persistent state of a <see cref="RolloutGrain"/>.</summary>
[GenerateSerializer, Alias("fq.RolloutGrainState")]
public sealed class RolloutGrainState
{
    [Id(0)]
    public RolloutSpec? Spec { get; set; }

    [Id(1)]
    public RolloutState State { get; set; }

    [Id(2)]
    public string? Reason { get; set; }

    /// <summary>Why the current wave is not advancing although it met its success threshold.</summary>
    [Id(3)]
    public string? Hold { get; set; }

    /// <summary>Targeted device ids in dispatch order; wave i covers [WaveEnds[i-1], WaveEnds[i]).</summary>
    [Id(4)]
    public List<string> Targets { get; set; } = [];

    [Id(5)]
    public List<int> WaveEnds { get; set; } = [];

    [Id(6)]
    public int CurrentWave { get; set; }

    /// <summary>Next index in <see cref="Targets"/> to dispatch.</summary>
    [Id(7)]
    public int NextDispatch { get; set; }

    /// <summary>When the current wave first met its success threshold (soak time counts from here).</summary>
    [Id(8)]
    public DateTimeOffset? WaveSucceededAt { get; set; }

    /// <summary>Status of every device dispatched so far (absent means waiting).</summary>
    [Id(9)]
    public Dictionary<string, DeviceRolloutStatus> Devices { get; set; } = new(StringComparer.Ordinal);

    [Id(10)]
    public long PlannedBytes { get; set; }

    /// <summary>Bandwidth token bucket: bytes that may still be planned, and when it was last refilled.</summary>
    [Id(11)]
    public double BudgetTokens { get; set; }

    [Id(12)]
    public DateTimeOffset BudgetRefilledAt { get; set; }

    [Id(13)]
    public LadderInfo? Ladder { get; set; }

    /// <summary>Mean telemetry of devices on the previous version, kept for the last wave when none remain.</summary>
    [Id(14)]
    public HealthSample? Baseline { get; set; }

    /// <summary>A wave that finished below its success threshold and that the operator resumed past.</summary>
    [Id(15)]
    public int? AcceptedShortWave { get; set; }

    /// <summary>When the batch at <see cref="NextDispatch"/> first had devices the cluster could not reach.</summary>
    [Id(16)]
    public DateTimeOffset? UnreachableSince { get; set; }

    /// <summary>Devices the rollback left alone, counted by why (a reason per device would grow with the fleet).</summary>
    [Id(17)]
    public Dictionary<string, int> RollbackSkips { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Mean p95 latency and confidence over a sample of devices.</summary>
[GenerateSerializer, Immutable, Alias("fq.HealthSample")]
public sealed record HealthSample(
    [property: Id(0)] int Devices,
    [property: Id(1)] double? LatencyP95Ms,
    [property: Id(2)] double? Confidence);
