using System.Text.Json;
using System.Text.Json.Serialization;

namespace FleetQuant.Compression.Ladders;

/// <summary>The uncompressed model's numbers, the reference every recipe is compared to.</summary>
public sealed record LadderBaseline(long WireBytes, long RuntimeBytes, double Accuracy, double LatencyMs);

/// <summary>
/// One measured recipe. Accuracy is against labels, or top-1 agreement with the original model when the
/// ladder was built without labels (<see cref="Ladder.Metric"/> says which). Fractions, not percent.
/// </summary>
public sealed record LadderEntry(
    string Id,
    int WeightBits,
    double PruneRatio,
    long WireBytes,
    long RuntimeBytes,
    double Accuracy,
    double AccuracyDrop,
    double LatencyMs,
    bool Pareto)
{
    /// <summary>The recipe's JSON form when its id alone cannot rebuild it (mixed precision).</summary>
    public string? RecipeJson { get; init; }

    /// <summary>Mean cosine similarity of the outputs with the original model's.</summary>
    public double? Cosine { get; init; }

    /// <summary>Why the recipe could not be compressed or run; its numbers are then zero and it is never Pareto.</summary>
    public string? Error { get; init; }

    [JsonIgnore]
    public bool Failed => Error is not null;
}

/// <summary>The measured table of recipes for one model version, with its Pareto front (wire bytes vs accuracy).</summary>
public sealed record Ladder(string Metric, LadderBaseline Baseline, IReadOnlyList<LadderEntry> Recipes)
{
    public const string AccuracyMetric = "accuracy";
    public const string AgreementMetric = "top1Agreement";

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>How many samples each accuracy was measured on; the planner treats differences within sampling noise as ties.</summary>
    public int? EvalSamples { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static Ladder FromJson(string json)
    {
        Ladder? ladder;
        try
        {
            ladder = JsonSerializer.Deserialize<Ladder>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"ladder JSON is malformed: {ex.Message}", ex);
        }
        if (ladder?.Baseline is null || ladder.Recipes is null || ladder.Recipes.Count == 0)
        {
            throw new InvalidDataException("ladder JSON needs \"baseline\" and a non-empty \"recipes\" array");
        }
        return ladder;
    }
}
