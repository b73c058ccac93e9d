namespace FleetQuant.Grains.Observability;

/// <summary>
/// The rule for an operator-owned value that may become a metric label or a selector key (hardware class, model id,
/// tag): 1..64 characters of <c>[A-Za-z0-9._-]</c>, so a label can neither blow up a scrape nor break its syntax.
/// </summary>
public static class LabelValue
{
    public const int MaxLength = 64;

    public static bool IsValid(string? value) =>
        value is { Length: > 0 and <= MaxLength } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>Why <paramref name="value"/> breaks the rule, naming <paramref name="what"/>; null when it keeps it.</summary>
    public static string? Problem(string? value, string what)
    {
        if (IsValid(value))
        {
            return null;
        }
        var shown = value is null ? "null" : value.Length > 80 ? $"'{value[..80]}…' ({value.Length} chars)" : $"'{value}'";
        return $"{what} {shown} must be 1..{MaxLength} characters of A-Z a-z 0-9 . _ -";
    }
}
