namespace FleetQuant.Grains.Hosting;

/// <summary>
/// The time the grains reason with (soak times, bandwidth pacing, telemetry windows). A wrapper rather than the
/// silo's own TimeProvider so tests can move rollout time without moving Orleans' internal clocks.
/// </summary>
public sealed class FleetClock(TimeProvider time)
{
    public TimeProvider Time => time;

    public DateTimeOffset UtcNow => time.GetUtcNow();
}
