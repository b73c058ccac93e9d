using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FleetQuant.Compression.Recipes;

/// <summary>
/// An ordered list of compression steps plus optional per-layer overrides of the weight-coding step
/// (mixed precision). <see cref="Id"/> is stable: the same recipe always has the same id.
/// </summary>
public sealed partial record Recipe
{
    public const string Fp32Id = "fp32";

    private const int MinBlock = 16;
    private const int MaxBlock = 256;

    public static readonly Recipe Fp32 = new([], new Dictionary<string, RecipeStep?>());

    private Recipe(IReadOnlyList<RecipeStep> steps, IReadOnlyDictionary<string, RecipeStep?> layerOverrides)
    {
        Steps = steps;
        LayerOverrides = layerOverrides;
        Id = ComputeId();
    }

    public IReadOnlyList<RecipeStep> Steps { get; }

    /// <summary>Weight tensor name → the weight-coding step for that tensor (null keeps it FP32).</summary>
    public IReadOnlyDictionary<string, RecipeStep?> LayerOverrides { get; }

    public string Id { get; }

    public RecipeStep? WeightCoding => Steps.FirstOrDefault(s => s.Stage == RecipeStage.WeightCoding);

    /// <summary>Bits per weight of the recipe's weight coding (32 without one).</summary>
    public int WeightBits => WeightCoding?.WeightBits ?? 32;

    /// <summary>Fraction of weights removed by pruning steps (structured and unstructured combined).</summary>
    public double PruneRatio =>
        1 - Steps.Aggregate(1.0, (kept, step) => step switch
        {
            PruneStep p => kept * (1 - p.Ratio),
            StructuredPruneStep s => kept * (1 - s.Ratio),
            _ => kept,
        });

    public static Recipe Create(IEnumerable<RecipeStep> steps, IReadOnlyDictionary<string, RecipeStep?>? layerOverrides = null)
    {
        var list = steps.ToList();
        Validate(list);
        var overrides = new SortedDictionary<string, RecipeStep?>(StringComparer.Ordinal);
        foreach (var (layer, step) in layerOverrides ?? new Dictionary<string, RecipeStep?>())
        {
            if (step is not null && step.Stage != RecipeStage.WeightCoding)
            {
                throw new RecipeException($"layer override for '{layer}' must be a weight-coding step or fp32, got '{step.Id}'");
            }
            overrides[layer] = step;
        }
        return new Recipe(list, overrides);
    }

    /// <summary>Parses a recipe id (<c>sp25+p50+q4b32a</c>), its JSON form, or a path to a JSON file.</summary>
    public static Recipe Parse(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith('{'))
        {
            return FromJson(trimmed);
        }

        if (trimmed.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(trimmed))
            {
                throw new RecipeException($"recipe file not found: {trimmed}");
            }
            return FromJson(File.ReadAllText(trimmed));
        }

        if (trimmed.Contains('@'))
        {
            throw new RecipeException($"'{trimmed}' is a mixed-precision recipe: give its JSON form");
        }

        if (trimmed.Length == 0 || trimmed == Fp32Id)
        {
            return Fp32;
        }

        return Create(trimmed.Split('+').Select(ParseStep));
    }

    public static RecipeStep ParseStep(string id)
    {
        var s = id.Trim().ToLowerInvariant();
        switch (s)
        {
            case "dq8":
                return new DynamicQuantizeStep();
            case "ternary":
                return new TernaryStep();
            case "binary":
                return new BinaryStep();
        }

        var m = QuantizeIdPattern().Match(s);
        if (m.Success)
        {
            var bits = int.Parse(m.Groups["bits"].Value, CultureInfo.InvariantCulture);
            if (bits is not (2 or 4 or 8))
            {
                throw new RecipeException($"'{id}': quantization supports 8, 4 and 2 bits");
            }
            var granularity = m.Groups["gran"].Value switch
            {
                "t" => QuantGranularity.PerTensor,
                "c" => QuantGranularity.PerChannel,
                _ => QuantGranularity.Block,
            };
            var block = granularity == QuantGranularity.Block ? int.Parse(m.Groups["block"].Value, CultureInfo.InvariantCulture) : 0;
            if (granularity == QuantGranularity.Block && (block < MinBlock || block > MaxBlock || !int.IsPow2(block)))
            {
                throw new RecipeException($"'{id}': block size must be a power of two from {MinBlock} to {MaxBlock}");
            }
            return new QuantizeStep(bits, granularity, block, m.Groups["sym"].Value == "s");
        }

        m = WeightSharingIdPattern().Match(s);
        if (m.Success)
        {
            var k = int.Parse(m.Groups["k"].Value, CultureInfo.InvariantCulture);
            return k is >= 2 and <= 8 ? new WeightSharingStep(k) : throw new RecipeException($"'{id}': k-means index bits must be 2 to 8");
        }

        m = PruneIdPattern().Match(s);
        if (m.Success)
        {
            var ratio = ParsePercent(m.Groups["pct"].Value, id);
            return (m.Groups["kind"].Value, m.Groups["suffix"].Value) switch
            {
                ("sp", "") => new StructuredPruneStep(ratio, ChannelImportance.WeightNorm),
                ("sp", "a") => new StructuredPruneStep(ratio, ChannelImportance.Activation),
                ("p", "") => new PruneStep(ratio, PruneScope.PerLayer),
                ("p", "g") => new PruneStep(ratio, PruneScope.Global),
                _ => throw new RecipeException($"unknown recipe step '{id}' (pruning is p50, p50g, sp25 or sp25a)"),
            };
        }

        throw new RecipeException($"unknown recipe step '{id}' (known: q8cs, q4b32a, q2b32a, dq8, ternary, binary, km4, p50, p50g, sp25, sp25a; join with '+')");
    }

    public string ToJson() => ToJsonNode().ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    public JsonObject ToJsonNode()
    {
        var node = new JsonObject
        {
            ["id"] = Id,
            ["steps"] = new JsonArray(Steps.Select(s => (JsonNode)JsonValue.Create(s.Id)!).ToArray()),
        };
        if (LayerOverrides.Count > 0)
        {
            var layers = new JsonObject();
            foreach (var (layer, step) in LayerOverrides)
            {
                layers[layer] = step?.Id ?? Fp32Id;
            }
            node["layers"] = layers;
        }
        return node;
    }

    public static Recipe FromJson(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new RecipeException($"recipe JSON is malformed: {ex.Message}");
        }

        if (root is not JsonObject obj || obj["steps"] is not JsonArray steps)
        {
            throw new RecipeException("recipe JSON needs a \"steps\" array of step ids");
        }

        var parsed = steps.Select(s => ParseStep(s?.GetValue<string>() ?? throw new RecipeException("recipe step must be a string")));
        var overrides = new Dictionary<string, RecipeStep?>();
        if (obj["layers"] is JsonObject layers)
        {
            foreach (var (layer, value) in layers)
            {
                var stepId = value?.GetValue<string>() ?? throw new RecipeException($"layer '{layer}' needs a step id");
                overrides[layer] = stepId == Fp32Id ? null : ParseStep(stepId);
            }
        }
        var recipe = Create(parsed, overrides);
        if (obj["id"] is JsonValue id && id.GetValue<string>() != recipe.Id)
        {
            throw new RecipeException($"recipe JSON says id '{id.GetValue<string>()}' but its steps make '{recipe.Id}'");
        }
        return recipe;
    }

    public bool Equals(Recipe? other) => other is not null && other.Id == Id;

    public override int GetHashCode() => Id.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Id;

    private string ComputeId()
    {
        var baseId = Steps.Count == 0 ? Fp32Id : string.Join('+', Steps.Select(s => s.Id));
        if (LayerOverrides.Count == 0)
        {
            return baseId;
        }
        var canonical = string.Join(';', LayerOverrides.Select(kv => kv.Key + "=" + (kv.Value?.Id ?? Fp32Id)));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..8];
        return $"{baseId}@mp{hash}";
    }

    private static void Validate(List<RecipeStep> steps)
    {
        for (var i = 1; i < steps.Count; i++)
        {
            if (steps[i].Stage < steps[i - 1].Stage)
            {
                throw new RecipeException($"step '{steps[i].Id}' must come before '{steps[i - 1].Id}' (order: structured pruning, pruning, weight coding)");
            }
            if (steps[i].Stage == steps[i - 1].Stage)
            {
                throw new RecipeException($"steps '{steps[i - 1].Id}' and '{steps[i].Id}' do the same kind of thing: use one");
            }
        }
    }

    private static double ParsePercent(string text, string id)
    {
        var pct = int.Parse(text, CultureInfo.InvariantCulture);
        return pct is > 0 and < 100 ? pct / 100.0 : throw new RecipeException($"'{id}': prune percent must be 1 to 99");
    }

    [GeneratedRegex("^q(?<bits>\\d+)(?<gran>t|c|b(?<block>\\d+))(?<sym>s|a)$")]
    private static partial Regex QuantizeIdPattern();

    [GeneratedRegex("^km(?<k>\\d+)$")]
    private static partial Regex WeightSharingIdPattern();

    [GeneratedRegex("^(?<kind>sp|p)(?<pct>\\d{1,3})(?<suffix>g|a)?$")]
    private static partial Regex PruneIdPattern();
}
