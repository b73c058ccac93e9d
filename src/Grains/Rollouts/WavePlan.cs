namespace FleetQuant.Grains.Rollouts;

/// <summary>Turns wave specs (counts or percentages) into cumulative end indexes over the ordered targets.</summary>
public static class WavePlan
{
    /// <summary>
    /// One end per wave, non-decreasing, the last always equal to <paramref name="targets"/> (devices the specs
    /// leave over join the last wave). Waves that would be empty are dropped.
    /// </summary>
    public static IReadOnlyList<int> Ends(IReadOnlyList<WaveSpec> waves, int targets)
    {
        var ends = new List<int>();
        var end = 0;
        foreach (var wave in waves)
        {
            var size = wave.Count ?? (int)Math.Ceiling(wave.Percent!.Value / 100.0 * targets);
            var next = (int)Math.Min(targets, (long)end + Math.Max(size, 0));
            if (next > end)
            {
                ends.Add(next);
                end = next;
            }
        }
        if (end < targets)
        {
            if (ends.Count == 0)
            {
                ends.Add(targets);
            }
            else
            {
                ends[^1] = targets;
            }
        }
        return ends;
    }
}

/// <summary>Device statuses within one wave.</summary>
internal sealed class WaveCounts
{
    public int Total { get; private set; }

    public int Succeeded { get; private set; }

    public int Failed { get; private set; }

    public int Unfit { get; private set; }

    /// <summary>Devices that can succeed or fail: unfit devices are not held against the wave.</summary>
    public int Eligible => Total - Unfit;

    public void Add(DeviceRolloutStatus status)
    {
        Total++;
        switch (status)
        {
            case DeviceRolloutStatus.Succeeded:
                Succeeded++;
                break;
            case DeviceRolloutStatus.Failed:
                Failed++;
                break;
            case DeviceRolloutStatus.Unfit:
                Unfit++;
                break;
        }
    }

    public bool MetSuccess(double threshold) => Eligible == 0 || (double)Succeeded / Eligible >= threshold;

    /// <summary>Every device of the wave has an outcome: nothing more can change its counts.</summary>
    public bool Settled => Succeeded + Failed + Unfit == Total;
}
