namespace FleetQuant.Grains.Rollouts;

/// <summary>A rollout was created under an id that already holds a rollout with a different spec.</summary>
[GenerateSerializer, Alias("fq.RolloutExistsException")]
public sealed class RolloutExistsException : Exception
{
    public RolloutExistsException()
    {
    }

    public RolloutExistsException(string rolloutId) : base($"rollout '{rolloutId}' already exists with a different spec; use a new id")
    {
    }
}

/// <summary>A rollout was asked to act before it was created.</summary>
[GenerateSerializer, Alias("fq.RolloutNotFoundException")]
public sealed class RolloutNotFoundException : Exception
{
    public RolloutNotFoundException()
    {
    }

    public RolloutNotFoundException(string rolloutId) : base($"rollout '{rolloutId}' does not exist; create it first")
    {
    }
}

/// <summary>A rollout spec that cannot be run (no waves, thresholds outside 0..1, …); the message says which part.</summary>
[GenerateSerializer, Alias("fq.InvalidRolloutSpecException")]
public sealed class InvalidRolloutSpecException : Exception
{
    public InvalidRolloutSpecException()
    {
    }

    public InvalidRolloutSpecException(string message) : base(message)
    {
    }
}
