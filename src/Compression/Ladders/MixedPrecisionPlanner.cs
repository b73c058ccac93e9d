using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;

namespace FleetQuant.Compression.Ladders;

/// <summary>Raising one layer from the low to the high setting: the quality it buys and the wire bytes it costs.</summary>
public sealed record LayerUpgrade(string Layer, double Gain, long ExtraBytes);

/// <summary>
/// A mixed-precision recipe and how it relates to its budget: wire bytes of the whole recipe packed as the ladder
/// measures them (<see cref="ArtifactWriter.EstimateLength"/>, within 1 % of the artifact), not summed per layer.
/// </summary>
public sealed record MixedPrecisionPlan(Recipe Recipe, long BudgetBytes, long WireBytes, IReadOnlyList<string> RaisedLayers)
{
    public bool FitsBudget => WireBytes <= BudgetBytes;
}

/// <summary>
/// Greedy mixed precision under a wire-size budget (HAQ-like, driven by measured sensitivity): every layer starts
/// at the low setting; the layer with the best measured quality gain per extra wire byte is raised to the high
/// setting, then the next, while the budget allows. The result is checked by measuring the real recipe.
/// </summary>
public static class MixedPrecisionPlanner
{
    public static MixedPrecisionPlan Plan(ModelProto model, SensitivityReport report, RecipeStep low, RecipeStep high, long budgetBytes)
    {
        var allLow = Recipe.Create([low]);
        var lowBytes = ArtifactWriter.EstimateLength(ModelCompressor.Compress(model, allLow));
        if (lowBytes > budgetBytes)
        {
            return new MixedPrecisionPlan(allLow, budgetBytes, lowBytes, []);
        }

        var upgrades = new List<LayerUpgrade>();
        foreach (var layer in report.Layers.Select(l => l.Layer).Distinct())
        {
            if (report.Find(layer, low.Id) is { } atLow && report.Find(layer, high.Id) is { } atHigh)
            {
                upgrades.Add(new LayerUpgrade(layer, atLow.Damage - atHigh.Damage, Math.Max(1, atHigh.LayerWireBytes - atLow.LayerWireBytes)));
            }
        }

        var raised = ChooseRaised(upgrades, lowBytes, budgetBytes).ToList();
        while (true)
        {
            var recipe = Recipe.Create([low], raised.ToDictionary(l => l, _ => (RecipeStep?)high));
            var bytes = raised.Count == 0 ? lowBytes : ArtifactWriter.EstimateLength(ModelCompressor.Compress(model, recipe));
            if (bytes <= budgetBytes || raised.Count == 0)
            {
                return new MixedPrecisionPlan(recipe, budgetBytes, bytes, raised);
            }
            // zstd over the whole stream differs a little from the per-layer estimates: drop the last raise.
            raised.RemoveAt(raised.Count - 1);
        }
    }

    /// <summary>
    /// Layers to raise, best gain per extra byte first, skipping any that no longer fit; layers that gain
    /// nothing are never raised.
    /// </summary>
    public static IReadOnlyList<string> ChooseRaised(IReadOnlyList<LayerUpgrade> upgrades, long baseBytes, long budgetBytes)
    {
        var chosen = new List<string>();
        var spent = baseBytes;
        foreach (var upgrade in upgrades.Where(u => u.Gain > 0).OrderByDescending(u => u.Gain / Math.Max(1, u.ExtraBytes)).ThenBy(u => u.Layer, StringComparer.Ordinal))
        {
            if (spent + upgrade.ExtraBytes <= budgetBytes)
            {
                chosen.Add(upgrade.Layer);
                spent += upgrade.ExtraBytes;
            }
        }
        return chosen;
    }
}
