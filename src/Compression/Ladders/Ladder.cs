using System.Text.Json;
using System.Text.Json.Serialization;
using FleetQuant.Compression.Evaluation;

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

    /// <summary>Most <see cref="LeftExact"/> notes kept per rung, so a model of thousands of tensors keeps its ladder small.</summary>
    public const int MaxNotes = 50;

    /// <summary>Largest absolute difference of any output value from the original model's.</summary>
    public double? MaxAbsError { get; init; }

    /// <summary>Lowest top-1 agreement of the class-score outputs with the original model's (null: no such output).</summary>
    public double? Top1Agreement { get; init; }

    /// <summary>Fidelity of each output; the headline columns show the worst.</summary>
    public IReadOnlyList<LadderOutputFidelity>? OutputFidelity { get; init; }

    /// <summary>True when the recipe changed no tensor of this model (every step left it exact).</summary>
    public bool? Unchanged { get; init; }

    /// <summary>Tensors a step could not apply to, and why (<c>name: reason</c>, at most <see cref="MaxNotes"/>).</summary>
    public IReadOnlyList<string>? LeftExact { get; init; }

    /// <summary>Why the recipe could not be compressed or run; its numbers are then zero and it is never Pareto.</summary>
    public string? Error { get; init; }

    [JsonIgnore]
    public bool Failed => Error is not null;
}

/// <summary>One output's fidelity to the original model's, as a ladder row records it.</summary>
public sealed record LadderOutputFidelity(string Name, string Kind, double? Top1Agreement, double Cosine, double MaxAbsError, double MeanAbsError)
{
    public static LadderOutputFidelity Of(OutputFidelity figure) =>
        new(figure.Name, LadderOutput.KindName(figure.Kind), figure.Top1Agreement, figure.MeanCosine, figure.MaxAbsError, figure.MeanAbsError);
}

/// <summary>One output of the model and how the ladder judges it (<c>classes</c>, <c>score</c>, <c>values</c>).</summary>
public sealed record LadderOutput(string Name, string Kind)
{
    // One constructor only: System.Text.Json reads a ladder file back through it (`fleetquant plan --ladder`).
    public static string KindName(OutputKind kind) => kind.ToString().ToLowerInvariant();
}

/// <summary>
/// How one input was fed while the ladder measured: <c>data</c>, <c>generated</c> or <c>constant</c>; its element type
/// and sample shape; and the hint behind it (a shape, a value or a range), if any.
/// </summary>
public sealed record LadderInput(string Name, string ElementType, long[] SampleShape, string Source, string? Hint)
{
    /// <summary>Every input of <paramref name="model"/> as <paramref name="set"/> feeds it.</summary>
    public static IReadOnlyList<LadderInput> Describe(byte[] model, EvalSet set) =>
        ModelEvaluator.DescribeInputs(model, set)
            .Select(i => new LadderInput(i.Name, ElementTypes.Name(i.Samples.ElementType), i.Samples.SampleShape, SourceOf(set, i.Name, i.FromSet), HintOf(set.Hints, i.Name)))
            .ToList();

    private static string SourceOf(EvalSet set, string name, bool fromSet) =>
        !fromSet || set.Hints.Values.ContainsKey(name) ? "constant" : set.Source is null ? "generated" : "data";

    private static string? HintOf(InputHints hints, string? name)
    {
        if (name is null)
        {
            return null;
        }
        var parts = new List<string>();
        if (hints.Shapes.TryGetValue(name, out var shape))
        {
            parts.Add($"shape {string.Join(",", shape)}");
        }
        if (hints.Values.TryGetValue(name, out var value))
        {
            parts.Add($"value {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }
        if (hints.Ranges.TryGetValue(name, out var range))
        {
            parts.Add($"range {range.Low.ToString(System.Globalization.CultureInfo.InvariantCulture)},{range.High.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }
        return parts.Count > 0 ? string.Join("; ", parts) : null;
    }
}

/// <summary>The measured table of recipes for one model version, with its Pareto front (wire bytes vs accuracy).</summary>
public sealed record Ladder(string Metric, LadderBaseline Baseline, IReadOnlyList<LadderEntry> Recipes)
{
    public const string AccuracyMetric = "accuracy";
    public const string AgreementMetric = "top1Agreement";

    /// <summary>No labels and not every output is class scores: the worst output's fidelity (<see cref="Evaluation.OutputFidelity.Quality"/>).</summary>
    public const string FidelityMetric = "fidelity";

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>How many samples each accuracy was measured on; the planner treats differences within sampling noise as ties.</summary>
    public int? EvalSamples { get; init; }

    /// <summary>How each input was fed: from data, generated or constant, with its shape and the hints used.</summary>
    public IReadOnlyList<LadderInput>? Inputs { get; init; }

    /// <summary>Each output and how it is judged.</summary>
    public IReadOnlyList<LadderOutput>? Outputs { get; init; }

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
