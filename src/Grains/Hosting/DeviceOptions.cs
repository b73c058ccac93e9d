using System.ComponentModel.DataAnnotations;

namespace FleetQuant.Grains.Hosting;

/// <summary>Device grain settings. Bound from "FleetQuant:Devices".</summary>
public sealed class DeviceOptions
{
    public const string Section = "FleetQuant:Devices";

    /// <summary>How far back telemetry aggregates look.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00", ErrorMessage = Section + ":TelemetryWindow must be between {1} and {2}.")]
    public TimeSpan TelemetryWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Reports kept in the window at most, whatever their age.</summary>
    [Range(1, 100_000, ErrorMessage = Section + ":TelemetryReportsKept must be between {1} and {2}.")]
    public int TelemetryReportsKept { get; set; } = 256;

    /// <summary>Update history entries kept per device; at least one, since a rollout reads a device's outcome from it.</summary>
    [Range(1, 10_000, ErrorMessage = Section + ":HistoryKept must be between {1} and {2}.")]
    public int HistoryKept { get; set; } = 50;

    /// <summary>How often buffered telemetry is written to grain storage (it is also written on deactivation).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = Section + ":TelemetryFlushPeriod must be between {1} and {2}.")]
    public TimeSpan TelemetryFlushPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
