using System.ComponentModel.DataAnnotations;
using FleetQuant.Protocol.Transfer;

namespace FleetQuant.Grains.Manifests;

/// <summary>How the silo signs desired-state manifests. Bound from <c>FleetQuant:Manifests</c>.</summary>
public sealed class ManifestOptions
{
    public const string Section = "FleetQuant:Manifests";

    /// <summary>PEM file of the ECDSA P-256 signing key; created (mode 0600) on first start when missing.</summary>
    [Required(ErrorMessage = Section + ":KeyPath must name a file.")]
    public string KeyPath { get; set; } = Path.Combine("data", "manifest-key.pem");

    /// <summary>The signing key itself as PKCS#8/EC PEM; when set, <see cref="KeyPath"/> is not used.</summary>
    public string? PrivateKeyPem { get; set; }

    /// <summary>
    /// The chain of key rotation statements sent with every manifest; default <c>manifest-rotations.json</c> next
    /// to <see cref="KeyPath"/>. Missing means no rotation yet.
    /// </summary>
    public string? RotationsPath { get; set; }

    /// <summary>How long a rotation statement is valid: a device offline for longer must be provisioned again.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00", ErrorMessage = Section + ":RotationLifetime must be between {1} and {2}.")]
    public TimeSpan RotationLifetime { get; set; } = TimeSpan.FromDays(365);

    /// <summary>How long a manifest stays valid after it is issued.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00", ErrorMessage = Section + ":Lifetime must be between {1} and {2}.")]
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Chunk size of transfers (devices pull one chunk per request).</summary>
    [Range(1, ChunkTable.MaxChunkSize, ErrorMessage = Section + ":ChunkSize must be between {1} and {2} bytes.")]
    public int ChunkSize { get; set; } = ChunkTable.DefaultChunkSize;
}
