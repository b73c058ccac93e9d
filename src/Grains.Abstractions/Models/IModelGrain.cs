using FleetQuant.Grains.Planning;

namespace FleetQuant.Grains.Models;

/// <summary>
/// One model (key: model id): its versions, each version's ladder (built once in the background) and the
/// artifacts and deltas built from it on demand, cached in the artifact store.
/// </summary>
[Alias("fq.IModelGrain")]
public interface IModelGrain : IGrainWithStringKey
{
    /// <summary>Stores the source and starts the ladder in the background; returns at once with status Analysing.</summary>
    [Alias("AddVersion")]
    Task<ModelVersionView> AddVersion(ModelVersionUpload upload);

    [Alias("GetVersion")]
    Task<ModelVersionView?> GetVersion(string version);

    [Alias("GetView")]
    Task<ModelView> GetView();

    /// <summary>The input hints stored with a version (empty when it has none); throws <see cref="ModelVersionNotFoundException"/> for an unknown version.</summary>
    [Alias("GetInputHints")]
    Task<InputHintsInfo> GetInputHints(string version);

    /// <summary>
    /// The version's ladder; throws <see cref="ModelNotReadyException"/> while analysing or after failure, and
    /// <see cref="ModelVersionNotFoundException"/> for a version that was never uploaded.
    /// </summary>
    [Alias("GetLadder")]
    Task<LadderInfo> GetLadder(string version);

    /// <summary>The artifact for (version, recipe), built on first request and cached.</summary>
    [Alias("GetArtifact")]
    Task<StoredBlob> GetArtifact(string version, string recipeId);

    /// <summary>A delta turning artifact <paramref name="baseHash"/> into <paramref name="targetHash"/>, built once and cached.</summary>
    [Alias("GetDelta")]
    Task<StoredBlob> GetDelta(string baseHash, string targetHash);
}

/// <summary>A ladder or artifact was asked of a version that is not ready (still analysing, or failed).</summary>
[GenerateSerializer, Alias("fq.ModelNotReadyException")]
public sealed class ModelNotReadyException : Exception
{
    public ModelNotReadyException()
    {
    }

    public ModelNotReadyException(string message) : base(message)
    {
    }
}

/// <summary>A version was asked of a model that has no such version (or no versions at all).</summary>
[GenerateSerializer, Alias("fq.ModelVersionNotFoundException")]
public sealed class ModelVersionNotFoundException : Exception
{
    public ModelVersionNotFoundException()
    {
    }

    public ModelVersionNotFoundException(string modelId, string version) : base($"model '{modelId}' has no version '{version}'")
    {
    }
}

/// <summary>
/// An upload that cannot become a model version: a bad id or version, bytes that are no ONNX model, data sets or hints
/// that do not fit the model. The message is the reader's own, for the operator to fix the upload.
/// </summary>
[GenerateSerializer, Alias("fq.InvalidModelUploadException")]
public sealed class InvalidModelUploadException : Exception
{
    public InvalidModelUploadException()
    {
    }

    public InvalidModelUploadException(string message) : base(message)
    {
    }
}

/// <summary>A version was uploaded again with different bytes; versions are immutable.</summary>
[GenerateSerializer, Alias("fq.ModelVersionExistsException")]
public sealed class ModelVersionExistsException : Exception
{
    public ModelVersionExistsException()
    {
    }

    public ModelVersionExistsException(string modelId, string version)
        : base($"model {modelId} already has a version '{version}' with different bytes; use a new version")
    {
    }
}

/// <summary>An artifact was asked for a recipe that is not on the version's ladder, or that failed on it.</summary>
[GenerateSerializer, Alias("fq.RecipeNotAvailableException")]
public sealed class RecipeNotAvailableException : Exception
{
    public RecipeNotAvailableException()
    {
    }

    public RecipeNotAvailableException(string message) : base(message)
    {
    }
}
