namespace FleetQuant.Compression.Recipes;

/// <summary>A recipe id or JSON that does not describe a valid recipe.</summary>
public sealed class RecipeException(string message) : Exception(message);
