using System.ComponentModel.DataAnnotations;

namespace FleetQuant.Gateway.Hosting;

/// <summary>Metrics settings. Bound from <c>FleetQuant:Metrics</c>.</summary>
public sealed class MetricsOptions
{
    public const string Section = "FleetQuant:Metrics";

    /// <summary>Whether to serve <c>/metrics</c> (Prometheus text format) and sample the fleet gauges.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the fleet, rollout and ladder gauges are refreshed from the grains.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = Section + ":SamplePeriod must be between {1} and {2}.")]
    public TimeSpan SamplePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most rollouts (the newest) reported per sample; bounds the grain calls and the label sets.</summary>
    [Range(1, 10_000, ErrorMessage = Section + ":MaxRollouts must be between {1} and {2}.")]
    public int MaxRollouts { get; set; } = 500;

    /// <summary>Most models (in catalog order) whose ladders are reported per sample.</summary>
    [Range(1, 10_000, ErrorMessage = Section + ":MaxModels must be between {1} and {2}.")]
    public int MaxModels { get; set; } = 200;
}
