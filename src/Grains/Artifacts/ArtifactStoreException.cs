namespace FleetQuant.Grains.Artifacts;

/// <summary>An artifact store problem: a malformed hash, missing content, or content that no longer matches its hash.</summary>
[GenerateSerializer, Alias("fq.ArtifactStoreException")]
public class ArtifactStoreException : Exception
{
    public ArtifactStoreException()
    {
    }

    public ArtifactStoreException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>The requested hash is not in the store.</summary>
[GenerateSerializer, Alias("fq.ArtifactNotFoundException")]
public sealed class ArtifactNotFoundException : ArtifactStoreException
{
    public ArtifactNotFoundException()
    {
    }

    public ArtifactNotFoundException(string hash) : base($"artifact {hash} is not in the store; upload or rebuild it")
    {
    }
}

/// <summary>The stored bytes no longer hash to their name (disk corruption or tampering).</summary>
[GenerateSerializer, Alias("fq.ArtifactCorruptException")]
public sealed class ArtifactCorruptException : ArtifactStoreException
{
    public ArtifactCorruptException()
    {
    }

    public ArtifactCorruptException(string hash, string actual)
        : base($"artifact {hash} is corrupt on disk (content hashes to {actual}); delete the file and rebuild it")
    {
    }
}
