namespace FleetQuant.Compression.Ladders;

/// <summary>
/// Marks the entries no other entry beats on both axes: fewer or equal wire bytes and higher or equal accuracy,
/// strictly better on at least one. Failed entries are never on the front and never dominate.
/// </summary>
public static class ParetoFront
{
    public static IReadOnlyList<LadderEntry> Mark(IReadOnlyList<LadderEntry> entries)
    {
        var measured = entries.Where(e => !e.Failed).ToList();
        return entries.Select(e => e with { Pareto = !e.Failed && !measured.Any(other => Dominates(other, e)) }).ToList();
    }

    public static bool Dominates(LadderEntry a, LadderEntry b) =>
        a.WireBytes <= b.WireBytes && a.Accuracy >= b.Accuracy && (a.WireBytes < b.WireBytes || a.Accuracy > b.Accuracy);
}
