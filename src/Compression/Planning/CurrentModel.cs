namespace FleetQuant.Compression.Planning;

/// <summary>
/// What a device runs now, as far as the planner cares: the recipe of its current artifact and, when the
/// deltas have been measured, how many bytes turn that artifact into each candidate recipe of the target version.
/// </summary>
public sealed record CurrentModel
{
    /// <summary>Recipe id of the artifact the device runs now (of whatever model version it has).</summary>
    public required string RecipeId { get; init; }

    /// <summary>Target recipe id → size of the delta from the device's current artifact; absent when unknown.</summary>
    public IReadOnlyDictionary<string, long> DeltaBytesByRecipe { get; init; } = new Dictionary<string, long>();
}
