using System.Text;
using static FleetQuant.Compression.Planning.HumanUnits;

namespace FleetQuant.Compression.Planning;

/// <summary>
/// Writes why a recipe won: what it scores, the limits it fits, why it beat a more accurate recipe, and how it
/// travels. Built only from class quantities, so every device of a class gets the same sentence.
/// </summary>
internal static class PlanReason
{
    public static string For(
        PlanCandidate chosen,
        IReadOnlyList<PlanCandidate> feasible,
        IReadOnlyList<PlanCandidate> all,
        IReadOnlyList<PlanConstraint> constraints,
        PlanningLimits limits,
        PlanPolicy policy,
        double tolerance,
        string arch,
        CurrentModel? current)
    {
        var fits = $"fits {Bytes(limits.MemoryBudgetBytes)} and {Seconds(policy.MaxTransferSeconds)} at {BitRate(limits.BandwidthBitsPerSecond)}"
            + (limits.DataCapAllowanceBytes is { } allowance ? $" within a {Bytes(allowance)} data-cap allowance" : "");
        var score = $"{Percent(chosen.Entry.Accuracy)}, {AccuracyChange(chosen.Entry.AccuracyDrop)}";
        var best = MostAccurate(feasible);

        var text = new StringBuilder();
        if (best.Entry.Accuracy <= chosen.Entry.Accuracy)
        {
            text.Append($"{chosen.Entry.Id}: most accurate ({score}) that {fits}");
        }
        else
        {
            text.Append($"{chosen.Entry.Id}: {score}, within {Points(tolerance)} of the most accurate that {fits} ")
                .Append($"({best.Entry.Id}, {Percent(best.Entry.Accuracy)}) and {Advantage(chosen, best, limits, arch)}");
        }

        if (chosen.SlowOnThisCpu(limits))
        {
            text.Append($"; integer kernels run slowly on {arch} without dot-product instructions, but no equally accurate float recipe fits");
        }

        var blocked = all.Where(c => c.Entry.Accuracy > chosen.Entry.Accuracy && !feasible.Contains(c)).ToList();
        if (blocked.Count > 0)
        {
            var nearest = MostAccurate(blocked);
            text.Append($"; {nearest.Entry.Id} {PlanConstraint.FirstShortfall(constraints, nearest)}");
        }

        text.Append(chosen.Transfer == TransferKind.Delta
            ? $"; delta from {current?.RecipeId}: {Bytes(chosen.TransferBytes)} instead of {Bytes(chosen.Entry.WireBytes)}, {Seconds(chosen.Seconds)}"
            : $"; full artifact {Bytes(chosen.TransferBytes)}, {Seconds(chosen.Seconds)}");
        return text.ToString();
    }

    private static string Advantage(PlanCandidate chosen, PlanCandidate best, PlanningLimits limits, string arch)
    {
        if (best.SlowOnThisCpu(limits) && !chosen.SlowOnThisCpu(limits))
        {
            return $"runs float kernels ({arch} lacks integer dot-product instructions)";
        }
        if (chosen.Entry.LatencyMs > 0 && chosen.Entry.LatencyMs < best.Entry.LatencyMs && chosen.Entry.WireBytes >= best.Entry.WireBytes)
        {
            return $"runs faster ({chosen.Entry.LatencyMs:0.##} ms vs {best.Entry.LatencyMs:0.##} ms)";
        }
        return $"is smaller ({Bytes(chosen.Entry.WireBytes)} vs {Bytes(best.Entry.WireBytes)})";
    }

    private static PlanCandidate MostAccurate(IEnumerable<PlanCandidate> candidates) =>
        candidates.OrderByDescending(c => c.Entry.Accuracy)
            .ThenBy(c => c.Entry.WireBytes)
            .ThenBy(c => c.Entry.Id, StringComparer.Ordinal)
            .First();
}
