namespace FleetQuant.Grains.Rollouts;

/// <summary>Rejects rollout specs that cannot be run, with a message naming the field.</summary>
public static class RolloutSpecValidator
{
    public static void Validate(RolloutSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.ModelId) || string.IsNullOrWhiteSpace(spec.Version))
        {
            throw new InvalidRolloutSpecException("a rollout needs a model id and version");
        }
        if (spec.Waves.Count == 0)
        {
            throw new InvalidRolloutSpecException("a rollout needs at least one wave");
        }
        foreach (var wave in spec.Waves)
        {
            var valid = (wave.Count, wave.Percent) switch
            {
                ({ } count, null) => count > 0,
                (null, { } percent) => percent is > 0 and <= 100,
                _ => false,
            };
            if (!valid)
            {
                throw new InvalidRolloutSpecException("each wave needs exactly one of a positive device count or a percentage in (0, 100]");
            }
        }
        if (spec.SuccessThreshold is < 0 or > 1 || double.IsNaN(spec.SuccessThreshold))
        {
            throw new InvalidRolloutSpecException("success threshold is a fraction within 0..1");
        }
        if (spec.FailureThreshold is < 0 or > 1 || double.IsNaN(spec.FailureThreshold))
        {
            throw new InvalidRolloutSpecException("failure threshold is a fraction within 0..1");
        }
        if (spec.BandwidthBytesPerMinute is < 0)
        {
            throw new InvalidRolloutSpecException("bandwidth budget cannot be negative");
        }
        if (spec.Health is { } gate && (gate.MinimumSoak < TimeSpan.Zero || gate.MaxLatencyRegression is < 0 || gate.MaxConfidenceDrop is < 0))
        {
            throw new InvalidRolloutSpecException("health gate soak time and allowed regressions cannot be negative");
        }
    }
}
