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

    public LadderInfo BuildLadder(byte[] onnx, EvalSetData? evalSet, CancellationToken cancellationToken)
    {
        var model = OnnxModelFile.Parse(onnx);
        var set = ToEvalSet(onnx, evalSet);
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
        return LibraryMapping.FromLibrary(builder.Build(model, set, ladderOptions, null, cancellationToken));
    }

    public byte[] BuildArtifact(byte[] onnx, LadderRung rung, EvalSetData? evalSet)
    {
        var model = OnnxModelFile.Parse(onnx);
        var recipe = rung.RecipeJson is { } json ? Recipe.FromJson(json) : Recipe.Parse(rung.Id);
        var calibration = evalSet is null ? null : ToEvalSet(onnx, evalSet);
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

    private static EvalSet ToEvalSet(byte[] onnx, EvalSetData? data)
    {
        if (data is not null)
        {
            return new EvalSet(data.SampleShape, data.Data, data.Labels);
        }
        return GeneratedInputs.ForModel(onnx, InputHints.None, GeneratedSamples, seed: 1);
    }
}
