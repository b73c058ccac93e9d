namespace FleetQuant.Grains.Hosting;

/// <summary>Device grain settings. Bound from "FleetQuant:Devices".</summary>
public sealed class DeviceOptions
{
    public const string Section = "FleetQuant:Devices";

    /// <summary>How far back telemetry aggregates look.</summary>
    public TimeSpan TelemetryWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Reports kept in the window at most, whatever their age.</summary>
    public int TelemetryReportsKept { get; set; } = 256;

    /// <summary>Update history entries kept per device.</summary>
    public int HistoryKept { get; set; } = 50;

    /// <summary>How often buffered telemetry is written to grain storage (it is also written on deactivation).</summary>
    public TimeSpan TelemetryFlushPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
