using static FleetQuant.Compression.Planning.HumanUnits;

namespace FleetQuant.Compression.Planning;

/// <summary>
/// One limit a recipe must meet. Constraints apply in a fixed order; the first one that leaves no recipe is the
/// binding one, and it explains itself with the recipe that came closest (smallest <see cref="Distance"/>).
/// </summary>
internal sealed record PlanConstraint(
    Func<PlanCandidate, bool> Passes,
    Func<PlanCandidate, string> Shortfall,
    Func<PlanCandidate, double> Distance,
    Func<PlanCandidate, string> Unfit)
{
    private const double Epsilon = 1e-9;

    public static IReadOnlyList<PlanConstraint> All(PlanningLimits limits, PlanPolicy policy)
    {
        var list = new List<PlanConstraint>
        {
            new(
                c => c.Entry.AccuracyDrop <= policy.MaxAccuracyDrop + Epsilon,
                c => $"loses {Points(c.Entry.AccuracyDrop)}, limit {Points(policy.MaxAccuracyDrop)}",
                c => c.Entry.AccuracyDrop,
                c => $"every recipe loses more accuracy than allowed: least loss {c.Entry.Id} {Points(c.Entry.AccuracyDrop)}, limit {Points(policy.MaxAccuracyDrop)}"),
        };
        if (policy.MinAccuracy is { } min)
        {
            list.Add(new(
                c => c.Entry.Accuracy >= min - Epsilon,
                c => $"reaches {Percent(c.Entry.Accuracy)}, minimum {Percent(min)}",
                c => -c.Entry.Accuracy,
                c => $"most accurate recipe {c.Entry.Id} reaches {Percent(c.Entry.Accuracy)}, minimum {Percent(min)}"));
        }
        list.Add(new(
            c => c.Entry.RuntimeBytes <= limits.MemoryBudgetBytes,
            c => $"needs {Bytes(c.Entry.RuntimeBytes)} of runtime memory",
            c => c.Entry.RuntimeBytes,
            c => $"smallest recipe {c.Entry.Id} needs {Bytes(c.Entry.RuntimeBytes)} of runtime memory, budget {Bytes(limits.MemoryBudgetBytes)}"));
        list.Add(new(
            c => c.Entry.WireBytes <= limits.StorageBytes,
            c => $"is {Bytes(c.Entry.WireBytes)}, storage {Bytes(limits.StorageBytes)}",
            c => c.Entry.WireBytes,
            c => $"smallest artifact {c.Entry.Id} is {Bytes(c.Entry.WireBytes)}, storage {Bytes(limits.StorageBytes)}"));
        list.Add(new(
            c => c.Seconds <= policy.MaxTransferSeconds + Epsilon,
            c => $"needs {Seconds(c.Seconds)} to download",
            c => c.TransferBytes,
            c => $"quickest download {c.Entry.Id} ({Bytes(c.TransferBytes)}) needs {Seconds(c.Seconds)} at {BitRate(limits.BandwidthBitsPerSecond)}, limit {Seconds(policy.MaxTransferSeconds)}"));
        if (limits.DataCapAllowanceBytes is { } allowance && limits.DataCapBytesPerMonth is { } cap)
        {
            list.Add(new(
                c => c.TransferBytes <= allowance,
                c => $"needs {Bytes(c.TransferBytes)}, data-cap allowance {Bytes(allowance)}",
                c => c.TransferBytes,
                c => $"smallest download {c.Entry.Id} is {Bytes(c.TransferBytes)}, but {Percent(policy.MaxDataCapShare)} of the {Bytes(cap)}/month data cap allows {Bytes(allowance)}"));
        }
        return list;
    }

    /// <summary>Why none of <paramref name="survivors"/> passes, told with the one that came closest.</summary>
    public string ExplainUnfit(IReadOnlyList<PlanCandidate> survivors) =>
        Unfit(survivors.OrderBy(Distance).ThenBy(c => c.Entry.Id, StringComparer.Ordinal).First());

    /// <summary>The first constraint a candidate fails, as a short phrase ("needs 9.1 MiB of runtime memory"); null when it fits.</summary>
    public static string? FirstShortfall(IEnumerable<PlanConstraint> constraints, PlanCandidate candidate) =>
        constraints.FirstOrDefault(k => !k.Passes(candidate))?.Shortfall(candidate);
}
