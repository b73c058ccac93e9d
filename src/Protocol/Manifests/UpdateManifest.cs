using FleetQuant.Protocol.Messages;

namespace FleetQuant.Protocol.Manifests;

/// <summary>
/// What a device should run, signed by the server. Devices accept a manifest only when it is addressed to them,
/// unexpired, correctly signed, and its <see cref="Release"/> is above every release they accepted before.
/// </summary>
public sealed record UpdateManifest
{
    public required string DeviceId { get; init; }

    public required string ModelId { get; init; }

    public required int ModelVersion { get; init; }

    public required string RecipeId { get; init; }

    /// <summary>Monotonically increasing per device; rollbacks get a new, higher release too.</summary>
    public required long Release { get; init; }

    public required DateTimeOffset IssuedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The artifact to end up with (always given, also when a delta is offered).</summary>
    public required TransferObject Artifact { get; init; }

    /// <summary>A cheaper way to build <see cref="Artifact"/> from the artifact the device already has.</summary>
    public DeltaTransfer? Delta { get; init; }

    /// <summary>A known input and output to check the new model with before swapping it in.</summary>
    public SmokeTest? SmokeTest { get; init; }

    /// <summary>How to build inputs for the model where its declared shapes do not say (from the version's hints).</summary>
    public ModelInputHints? InputHints { get; init; }

    /// <summary>
    /// The CPU architecture the recipe was planned for (the device's reported profile); a device of another
    /// architecture refuses the manifest (TUF's "wrong hardware"). Null or <see cref="DeviceProfile.UnknownArch"/>: not checked.
    /// </summary>
    public string? TargetArch { get; init; }
}

/// <summary>
/// A model version's input hints: shapes for symbolic dimensions, constants for control inputs (a sample rate),
/// ranges [low, high] for generated values. A device builds its inputs from them when it has no data of its own.
/// </summary>
public sealed record ModelInputHints
{
    public IReadOnlyDictionary<string, long[]>? Shapes { get; init; }

    public IReadOnlyDictionary<string, double>? Values { get; init; }

    public IReadOnlyDictionary<string, double[]>? Ranges { get; init; }
}

/// <summary>A blob the device pulls in chunks: its hash, size and the hash of every chunk.</summary>
public sealed record TransferObject
{
    public required string Sha256 { get; init; }

    public required long Size { get; init; }

    public required int ChunkSize { get; init; }

    /// <summary>SHA-256 of each chunk, concatenated, base64: lets the device verify and keep each chunk on arrival.</summary>
    public required string ChunkHashes { get; init; }
}

/// <summary>A delta from the artifact with <see cref="BaseSha256"/> to the manifest's artifact.</summary>
public sealed record DeltaTransfer
{
    public required string BaseSha256 { get; init; }

    public required TransferObject Object { get; init; }
}

/// <summary>
/// A reference input for every model input and the first output expected on it (float32 little-endian, base64), with
/// the allowed max absolute error.
/// </summary>
public sealed record SmokeTest
{
    public required IReadOnlyList<SmokeTestInput> Inputs { get; init; }

    public required string ExpectedOutput { get; init; }

    public required double Tolerance { get; init; }
}

/// <summary>One input of a smoke test: the whole tensor of one run, little-endian, base64.</summary>
public sealed record SmokeTestInput
{
    public required string Name { get; init; }

    /// <summary>The ONNX element type in lower case: <c>float</c>, <c>int64</c>, <c>bool</c>, <c>float16</c>…</summary>
    public required string ElementType { get; init; }

    public required long[] Shape { get; init; }

    public required string Data { get; init; }
}

/// <summary>The form a manifest travels in: the exact signed bytes (as a string) and the signature over them.</summary>
public sealed record SignedManifest
{
    /// <summary>UTF-8 JSON of the <see cref="UpdateManifest"/>; signing this exact text avoids canonicalisation.</summary>
    public required string Payload { get; init; }

    /// <summary>ECDSA P-256 / SHA-256 signature over the UTF-8 payload, IEEE P1363 format, base64.</summary>
    public required string Signature { get; init; }

    public required string KeyId { get; init; }

    /// <summary>
    /// Key rotations, oldest first, that lead from a provisioned key to the key that signed this manifest; a device
    /// applies those above its last applied version before checking the signature. Not covered by the signature:
    /// each rotation is signed by the key it replaces.
    /// </summary>
    public IReadOnlyList<SignedKeyRotation>? Rotations { get; init; }
}
