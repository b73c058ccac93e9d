namespace FleetQuant.Compression.Ladders;

/// <summary>Where a long measurement stands: <paramref name="Done"/> of <paramref name="Total"/> items, now on <paramref name="Current"/>.</summary>
public sealed record LadderProgress(string Current, int Done, int Total);
