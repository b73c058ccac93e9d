using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Transfer;

namespace FleetQuant.TestSupport;

/// <summary>A clock that always says <paramref name="now"/>: expiry checks see exactly the time a test sets.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>The valid manifest the verifier and applier tests start from, then break one way at a time.</summary>
public static class ManifestFixtures
{
    /// <summary>Release <paramref name="release"/> for device <c>dev-1</c>, issued a minute before <paramref name="now"/>, valid for a day.</summary>
    public static UpdateManifest Manifest(long release, DateTimeOffset now) => new()
    {
        DeviceId = "dev-1",
        ModelId = "fashion",
        ModelVersion = 1,
        RecipeId = "q4b32a",
        Release = release,
        IssuedAt = now.AddMinutes(-1),
        ExpiresAt = now.AddDays(1),
        Artifact = ChunkTable.Describe(new byte[1000], 256),
    };
}
