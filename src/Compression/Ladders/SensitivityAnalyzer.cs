using System.Globalization;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;

namespace FleetQuant.Compression.Ladders;

/// <summary>What is done to one layer at a time: a weight-coding step, or magnitude pruning at a ratio.</summary>
public sealed record SensitivitySetting(string Id, RecipeStep? Coding, double PruneRatio)
{
    public static SensitivitySetting Quantize(RecipeStep step) =>
        step.Stage == RecipeStage.WeightCoding ? new(step.Id, step, 0) : throw new RecipeException($"'{step.Id}' is not a weight-coding step");

    public static SensitivitySetting Prune(double ratio) =>
        ratio is > 0 and < 1
            ? new("p" + Math.Round(ratio * 100).ToString(CultureInfo.InvariantCulture), null, ratio)
            : throw new RecipeException($"prune ratio {ratio} must be between 0 and 1");
}

/// <summary>
/// One layer under one setting, everything else left FP32. <see cref="Accuracy"/> is against labels or top-1
/// agreement with the original (as the report's metric says); <see cref="LayerWireBytes"/> is what the layer's
/// tensors cost on the wire under the setting.
/// </summary>
public sealed record LayerSensitivity(string Layer, long Parameters, string Setting, double Accuracy, double AccuracyDrop, double Cosine, long LayerWireBytes)
{
    /// <summary>
    /// Quality lost: the accuracy drop (never below zero) plus the loss of output cosine. The cosine term keeps a
    /// signal when the evaluation set is too small for the top-1 numbers to move.
    /// </summary>
    public double Damage => Math.Max(0, AccuracyDrop) + (1 - Cosine);
}

/// <summary>Per-layer sensitivity of one model on one evaluation set.</summary>
public sealed record SensitivityReport(string Metric, double BaselineAccuracy, IReadOnlyList<LayerSensitivity> Layers)
{
    public LayerSensitivity? Find(string layer, string setting) => Layers.FirstOrDefault(l => l.Layer == layer && l.Setting == setting);
}

/// <summary>
/// Measures how much each compressible layer matters: applies a setting to that layer alone, runs the model in
/// ONNX Runtime and records the accuracy drop and output cosine against the original.
/// </summary>
public sealed class SensitivityAnalyzer(ModelEvaluator evaluator)
{
    public SensitivityReport Analyze(ModelProto model, EvalSet set, IReadOnlyList<SensitivitySetting> settings,
        IProgress<LadderProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var reference = evaluator.Outputs(OnnxModelFile.Serialize(model), set);
        return Analyze(model, set, reference, settings, progress, cancellationToken);
    }

    internal SensitivityReport Analyze(ModelProto model, EvalSet set, ModelOutputs reference, IReadOnlyList<SensitivitySetting> settings,
        IProgress<LadderProgress>? progress, CancellationToken cancellationToken)
    {
        var baseline = set.Labels is { } labels ? OutputScores.Accuracy(reference, labels) : 1.0;
        var classOutput = ModelEvaluator.ClassOutput(set, reference);
        var layers = WeightCatalog.Find(model).Weights.Select(w => (w.Name, Parameters: TensorData.ElementCount(w.Tensor))).ToList();
        var results = new List<LayerSensitivity>();
        var total = layers.Count * settings.Count;
        foreach (var (layer, parameters) in layers)
        {
            foreach (var setting in settings)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new LadderProgress($"sensitivity {layer} {setting.Id}", results.Count, total));
                var (compressed, layerTensors) = Apply(model, layer, setting);
                var outputs = evaluator.Outputs(OnnxModelFile.Serialize(compressed.Model), set);
                var fidelity = Fidelity.Compare(outputs, reference, classOutput);
                var accuracy = set.Labels is { } l ? OutputScores.Accuracy(outputs, l) : fidelity.Quality;
                var wire = InterimWireSize.MeasureTensors(compressed, layerTensors);
                results.Add(new LayerSensitivity(layer, parameters, setting.Id, accuracy, baseline - accuracy, fidelity.MeanCosine, wire));
            }
        }
        progress?.Report(new LadderProgress("sensitivity done", total, total));
        return new SensitivityReport(set.HasLabels ? Ladder.AccuracyMetric : Ladder.AgreementMetric, baseline, results);
    }

    /// <summary>The model with only <paramref name="layer"/> changed, and the names of the tensors that now carry that layer.</summary>
    private static (CompressedModel Model, IReadOnlyCollection<string> LayerTensors) Apply(ModelProto model, string layer, SensitivitySetting setting)
    {
        if (setting.Coding is { } coding)
        {
            var recipe = Recipe.Create([], new Dictionary<string, RecipeStep?> { [layer] = coding });
            var compressed = ModelCompressor.Compress(model, recipe);
            var before = OnnxGraphs.All(model).SelectMany(g => g.Initializer).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            var layerTensors = OnnxGraphs.All(compressed.Model).SelectMany(g => g.Initializer)
                .Select(t => t.Name)
                .Where(n => n == layer || !before.Contains(n))
                .ToHashSet(StringComparer.Ordinal);
            return (compressed, layerTensors);
        }

        var pruned = model.Clone();
        var tensor = OnnxGraphs.All(pruned).SelectMany(g => g.Initializer).First(t => t.Name == layer);
        TensorData.WriteFloats(tensor, SingleLayerPruning.ZeroSmallest(TensorData.ReadFloats(tensor), setting.PruneRatio));
        return (InterimWireSize.Uncompressed(pruned), new HashSet<string>(StringComparer.Ordinal) { layer });
    }
}
