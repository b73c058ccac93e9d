using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;

namespace FleetQuant.Compression.Ladders;

/// <summary>
/// Measures a grid of recipes for one model: each is compressed, its wire bytes measured (the artifact's length as
/// <see cref="ArtifactWriter.EstimateLength"/> gives it, within 1 % at a fraction of a full pack), and the result run in
/// ONNX Runtime for accuracy (or top-1 agreement with the original), runtime bytes and latency. A recipe that
/// fails is reported with its error. The Pareto front (wire bytes vs accuracy) is marked.
/// </summary>
public sealed class LadderBuilder(ModelEvaluator evaluator)
{
    /// <param name="calibration">Data for steps that calibrate; null means generated inputs
    /// (<see cref="GeneratedInputs.ForCalibration"/>). Never the evaluation set.</param>
    public Ladder Build(ModelProto model, EvalSet set, LadderOptions? options = null,
        IProgress<LadderProgress>? progress = null, CancellationToken cancellationToken = default, EvalSet? calibration = null)
    {
        options ??= new LadderOptions();
        var original = OnnxModelFile.Serialize(model);
        calibration ??= GeneratedInputs.ForCalibration(original, set.Hints);
        var reference = evaluator.Outputs(original, set);
        var labels = set.Labels;
        var baselineAccuracy = labels is null ? 1.0 : OutputScores.Accuracy(reference, labels);
        var classOutput = ModelEvaluator.ClassOutput(set, reference);
        var baseline = new LadderBaseline(
            original.LongLength,
            options.MeasureRuntime ? evaluator.RuntimeBytes(original, set) : 0,
            baselineAccuracy,
            options.MeasureRuntime ? evaluator.LatencyMs(original, set) : 0);

        var context = new Measurement(model, set, reference, classOutput, baselineAccuracy, options, calibration?.Take(options.CalibrationSamples));
        var total = options.RecipeIds.Count + (options.IncludeMixedPrecision ? 1 : 0);
        var entries = new List<LadderEntry>();
        foreach (var id in options.RecipeIds)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new LadderProgress(id, entries.Count, total));
            entries.Add(Guarded(id, () => Measure(context, Recipe.Parse(id))));
        }

        if (options.IncludeMixedPrecision)
        {
            var label = $"mixed {options.MixedLowStep}/{options.MixedHighStep}";
            progress?.Report(new LadderProgress(label, entries.Count, total));
            entries.Add(Guarded(label, () => MeasureMixed(context, baseline.WireBytes, progress, cancellationToken)));
        }
        progress?.Report(new LadderProgress("done", total, total));

        var selfFidelity = Fidelity.Compare(reference, reference, classOutput);
        var metric = labels is not null ? Ladder.AccuracyMetric : selfFidelity.AllClasses ? Ladder.AgreementMetric : Ladder.FidelityMetric;
        return new Ladder(metric, baseline, ParetoFront.Mark(entries))
        {
            EvalSamples = set.Count,
            Inputs = LadderInput.Describe(original, set),
            Outputs = selfFidelity.Outputs.Select(o => new LadderOutput(o.Name, LadderOutput.KindName(o.Kind))).ToList(),
        };
    }

    private LadderEntry MeasureMixed(Measurement context, long fp32OnnxBytes, IProgress<LadderProgress>? progress, CancellationToken cancellationToken)
    {
        var low = Recipe.ParseStep(context.Options.MixedLowStep);
        var high = Recipe.ParseStep(context.Options.MixedHighStep);
        var settings = new[] { SensitivitySetting.Quantize(low), SensitivitySetting.Quantize(high) };
        var report = new SensitivityAnalyzer(evaluator).Analyze(context.Model, context.Set, context.Reference, settings, progress, cancellationToken);
        var budget = context.Options.MixedBudgetBytes ?? (long)(fp32OnnxBytes * context.Options.MixedBudgetFraction);
        var plan = MixedPrecisionPlanner.Plan(context.Model, report, low, high, budget);
        return Measure(context, plan.Recipe) with { RecipeJson = plan.Recipe.ToJson() };
    }

    private LadderEntry Measure(Measurement context, Recipe recipe)
    {
        var compressed = ModelCompressor.Compress(context.Model, recipe, context.Calibration);
        var wireBytes = ArtifactWriter.EstimateLength(compressed);
        var bytes = OnnxModelFile.Serialize(compressed.Model);
        var outputs = evaluator.Outputs(bytes, context.Set);
        var fidelity = Fidelity.Compare(outputs, context.Reference, context.ClassOutput);
        var accuracy = context.Set.Labels is { } labels ? OutputScores.Accuracy(outputs, labels) : fidelity.Quality;
        var runtimeBytes = context.Options.MeasureRuntime ? evaluator.RuntimeBytes(bytes, context.Set) : 0;
        var latency = context.Options.MeasureRuntime ? evaluator.LatencyMs(bytes, context.Set) : 0;
        return new LadderEntry(recipe.Id, recipe.WeightBits, recipe.PruneRatio, wireBytes, runtimeBytes, accuracy,
            context.BaselineAccuracy - accuracy, latency, Pareto: false)
        {
            Cosine = fidelity.MeanCosine,
            MaxAbsError = fidelity.MaxAbsError,
            Top1Agreement = fidelity.Top1Agreement,
            OutputFidelity = fidelity.Outputs.Select(LadderOutputFidelity.Of).ToList(),
            Unchanged = compressed.ChangesNothing ? true : null,
            LeftExact = LeftExact(compressed),
        };
    }

    /// <summary>
    /// The weights a step could not apply to, with the reason. Not listed: what a recipe keeps FP32 on purpose, and the
    /// biases and integer tensors no recipe compresses.
    /// </summary>
    private static IReadOnlyList<string>? LeftExact(CompressedModel compressed)
    {
        var notes = compressed.Notes.Where(n => n.Action == TensorAction.KeptExact && IsWeightLeftExact(compressed.Recipe, n))
            .Select(n => $"{n.Tensor}: {n.Detail}").Distinct(StringComparer.Ordinal).Take(LadderEntry.MaxNotes).ToList();
        return notes.Count > 0 ? notes : null;
    }

    private static bool IsWeightLeftExact(Recipe recipe, TensorNote note) =>
        (recipe.LayerOverrides.TryGetValue(note.Tensor, out var step) ? step : recipe.WeightCoding) is not null && WeightCatalog.IsWeightLeftExact(note);

    private static LadderEntry Guarded(string id, Func<LadderEntry> measure)
    {
        try
        {
            return measure();
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // Keep what the id says about the recipe, so a failed row still reads as the recipe it is.
            var recipe = TryParse(id);
            return new LadderEntry(id, recipe?.WeightBits ?? 0, recipe?.PruneRatio ?? 0, 0, 0, 0, 0, 0, Pareto: false)
            {
                Error = ex.Message.ReplaceLineEndings(" "),
            };
        }
    }

    private static Recipe? TryParse(string id)
    {
        try
        {
            return Recipe.Parse(id);
        }
        catch (RecipeException)
        {
            return null;
        }
    }

    private sealed record Measurement(ModelProto Model, EvalSet Set, ModelOutputs Reference, string? ClassOutput, double BaselineAccuracy, LadderOptions Options, EvalSet? Calibration);
}
