using FleetQuant.Protocol.Manifests;

namespace FleetQuant.DeviceAgent.Storage;

/// <summary>A model the device has verified and can boot.</summary>
public sealed record InstalledModel(string ArtifactSha256, string ModelId, int ModelVersion, string RecipeId, long Release, ModelInputHints? InputHints = null);

/// <summary>Progress of a download, persisted so a reboot resumes from the last verified chunk.</summary>
public sealed record DownloadProgress(string ObjectSha256, long Size, int ChunkSize, string VerifiedChunks);

/// <summary>Everything the agent must remember across reboots; replaced atomically as one file.</summary>
public sealed record AgentState
{
    public long LastAcceptedRelease { get; init; }

    public InstalledModel? Current { get; init; }

    public InstalledModel? Previous { get; init; }

    public DownloadProgress? Download { get; init; }

    /// <summary>The manifest key trusted after key rotations; null until the first rotation (the provisioned key).</summary>
    public ManifestTrust? Trust { get; init; }
}
