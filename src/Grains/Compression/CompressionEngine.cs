using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Deltas;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Planning;
using FleetQuant.Compression.Recipes;
using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;
using Microsoft.Extensions.Options;

namespace FleetQuant.Grains.Compression;

/// <summary>
/// The grains' only door into the compression library: ladders, artifacts, deltas and plans. Everything here is
/// synchronous and may be CPU-heavy; grains reach the heavy parts only through <see cref="CompressionService"/>.
/// </summary>
public sealed class CompressionEngine(IOptions<CompressionOptions> options)
{
    /// <summary>Generated samples used when a version comes without an eval set (ladder then measures agreement).</summary>
    private const int GeneratedSamples = 64;

    private readonly CompressionOptions _options = options.Value;

    /// <summary>
    /// Parses and checks what an upload brings besides the model: the hints, and each data set loaded through the
    /// library's readers and fed to the model once in ONNX Runtime, so a set that does not fit the model is refused at
    /// upload with the reason; the model itself must parse as ONNX. Returns the blobs to store.
    /// </summary>
    public (byte[]? EvalBlob, byte[]? CalibrationBlob, InputHintsInfo Hints) PrepareUpload(byte[] onnx, ModelVersionUpload upload)
    {
        var flags = upload.Hints ?? InputHintFlags.None;
        // Every refusal below is the operator's upload not fitting, so it travels as one typed error carrying the
        // reader's message; no inner exception, since the library's exception types have no Orleans codec.
        var hints = Refusing("the input hints", () => InputHints.Parse(flags.Shapes, flags.Values, flags.Ranges));
        // Validated before anything is stored: bytes that are no ONNX model are refused, not kept as a failed version.
        var model = Refusing("the 'model' file is not a valid ONNX model", () => OnnxModelFile.Parse(onnx));
        byte[]? Check(IReadOnlyList<DataFile>? files, string what)
        {
            if (files is not { Count: > 0 })
            {
                return null;
            }
            return Refusing($"the {what} does not fit the model", () =>
            {
                var blob = DataSetBlobs.Pack(files);
                new ModelEvaluator().CheckRuns(onnx, DataSetBlobs.Load(blob, ModelSignature.Of(model), hints).Take(1));
                return blob;
            });
        }
        return (Check(upload.EvalData, "evaluation set"), Check(upload.CalibrationData, "calibration set"), LibraryMapping.FromLibrary(hints));
    }

    /// <summary>Runs a reader over uploaded bytes, turning the readers' refusals into <see cref="InvalidModelUploadException"/>.</summary>
    private static T Refusing<T>(string what, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is OnnxModelException or InvalidDataException or FormatException or ArgumentException)
        {
            throw new InvalidModelUploadException($"{what}: {ex.Message}");
        }
    }

    public LadderInfo BuildLadder(byte[] onnx, byte[]? evalBlob, byte[]? calibrationBlob, InputHintsInfo hintsInfo, CancellationToken cancellationToken)
    {
        var model = OnnxModelFile.Parse(onnx);
        var hints = LibraryMapping.ToLibrary(hintsInfo);
        var set = evalBlob is null
            ? GeneratedInputs.ForModel(onnx, hints, GeneratedSamples, seed: 1)
            : DataSetBlobs.Load(evalBlob, ModelSignature.Of(model), hints);
        if (_options.LadderEvalSamples > 0)
        {
            set = set.Take(_options.LadderEvalSamples);
        }
        var ladderOptions = new LadderOptions
        {
            RecipeIds = _options.LadderRecipes.Count > 0 ? _options.LadderRecipes : LadderOptions.DefaultRecipeIds,
            IncludeMixedPrecision = _options.LadderMixedPrecision,
        };
        var builder = new LadderBuilder(new ModelEvaluator());
        var calibration = Calibration(onnx, model, calibrationBlob, hints);
        return LibraryMapping.FromLibrary(builder.Build(model, set, ladderOptions, null, cancellationToken, calibration));
    }

    /// <summary>The artifact of one rung, calibrated on the same data its ladder measured it with.</summary>
    public byte[] BuildArtifact(byte[] onnx, LadderRung rung, byte[]? calibrationBlob, InputHintsInfo hintsInfo)
    {
        var model = OnnxModelFile.Parse(onnx);
        var recipe = rung.RecipeJson is { } json ? Recipe.FromJson(json) : Recipe.Parse(rung.Id);
        var calibration = Calibration(onnx, model, calibrationBlob, LibraryMapping.ToLibrary(hintsInfo))?.Take(new LadderOptions().CalibrationSamples);
        return ArtifactWriter.Pack(ModelCompressor.Compress(model, recipe, calibration));
    }

    public byte[] BuildDelta(byte[] baseArtifact, byte[] targetArtifact) => DeltaEncoder.Create(baseArtifact, targetArtifact);

    /// <summary>Pure and cheap: safe to call on the grain scheduler.</summary>
    public static DevicePlan Plan(DeviceProfileInfo profile, LadderInfo ladder, PlanPolicyInfo policy, string? currentRecipeId,
        IReadOnlyDictionary<string, long>? deltaBytesByRecipe)
    {
        var current = currentRecipeId is null
            ? null
            : new CurrentModel { RecipeId = currentRecipeId, DeltaBytesByRecipe = deltaBytesByRecipe ?? new Dictionary<string, long>() };
        var plan = RecipePlanner.Plan(LibraryMapping.ToLibrary(profile), LibraryMapping.ToLibrary(ladder), LibraryMapping.ToLibrary(policy), current);
        return LibraryMapping.FromLibrary(plan);
    }

    /// <summary>The uploaded calibration set, else generated calibration inputs; never the evaluation set.</summary>
    private static EvalSet? Calibration(byte[] onnx, ModelProto model, byte[]? calibrationBlob, InputHints hints) =>
        calibrationBlob is null ? GeneratedInputs.ForCalibration(onnx, hints) : DataSetBlobs.Load(calibrationBlob, ModelSignature.Of(model), hints);
}
