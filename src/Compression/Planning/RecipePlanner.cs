using FleetQuant.Compression.Ladders;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.Compression.Planning;

/// <summary>
/// Chooses, for one device and one ladder, the recipe and transfer to use — the most accurate recipe that fits the
/// device and the policy, preferring kernels the CPU runs fast among equally accurate ones — or says why none fits.
/// The rule, the bucketing and the reasons are described in docs/PLANNER.md.
/// </summary>
public static class RecipePlanner
{
    // Equally accurate recipes slower than this multiple of the fastest one count as slow.
    private const double SlowLatencyFactor = 1.5;

    // Ladders are measured in doubles; a drop of 0.020000000000000018 still meets a 0.02 limit.
    private const double Epsilon = 1e-9;

    /// <summary>Pure and deterministic: equal class quantities, ladder, policy and current model give an equal plan.</summary>
    public static Plan Plan(DeviceProfile profile, Ladder ladder, PlanPolicy policy, CurrentModel? current = null)
    {
        PlanInputValidator.Validate(profile);
        PlanInputValidator.Validate(ladder);
        PlanInputValidator.Validate(policy);
        PlanInputValidator.Validate(current);

        var limits = PlanningLimits.For(profile, policy);
        var constraints = PlanConstraint.All(limits, policy);
        var candidates = ladder.Recipes.Where(e => !e.Failed).Select(e => PlanCandidate.For(e, limits, current)).ToList();

        var survivors = candidates;
        foreach (var constraint in constraints)
        {
            var passing = survivors.Where(constraint.Passes).ToList();
            if (passing.Count == 0)
            {
                return new Plan { Unfit = true, Reason = "unfit: " + constraint.ExplainUnfit(survivors) };
            }
            survivors = passing;
        }

        var tolerance = TieTolerance(policy, ladder, survivors.Max(c => c.Entry.Accuracy));
        var chosen = Choose(survivors, tolerance, limits);
        return new Plan
        {
            Recipe = chosen.Entry.Id,
            Transfer = chosen.Transfer,
            Bytes = chosen.TransferBytes,
            Seconds = Math.Round(chosen.Seconds, 2),
            Reason = PlanReason.For(chosen, survivors, candidates, constraints, limits, policy, tolerance, profile.Arch, current),
        };
    }

    /// <summary>
    /// Accuracy differences smaller than this are ties: the policy's tolerance, or the standard error of the difference of
    /// two accuracies measured on the ladder's samples (√(2p(1−p)/n)) when that is larger — on 1,000 samples a 1-pt
    /// "gain" is noise and must not decide a fleet's recipe.
    /// </summary>
    public static double TieTolerance(PlanPolicy policy, Ladder ladder, double bestAccuracy)
    {
        if (ladder.EvalSamples is not > 0)
        {
            return policy.AccuracyTolerance;
        }
        var p = Math.Clamp(bestAccuracy, 0, 1);
        return Math.Max(policy.AccuracyTolerance, Math.Sqrt(2 * p * (1 - p) / ladder.EvalSamples.Value));
    }

    private static PlanCandidate Choose(List<PlanCandidate> feasible, double tolerance, PlanningLimits limits)
    {
        var best = feasible.Max(c => c.Entry.Accuracy);
        var equallyAccurate = feasible.Where(c => c.Entry.Accuracy >= best - tolerance - Epsilon).ToList();
        var known = equallyAccurate.Where(c => c.Entry.LatencyMs > 0).ToList();
        var fastest = known.Count > 0 ? known.Min(c => c.Entry.LatencyMs) : 0;

        return equallyAccurate
            .OrderBy(c => c.SlowOnThisCpu(limits) ? 1 : 0)
            .ThenBy(c => fastest > 0 && c.Entry.LatencyMs > fastest * SlowLatencyFactor ? 1 : 0)
            .ThenBy(c => c.Entry.WireBytes)
            .ThenBy(c => c.Entry.Id, StringComparer.Ordinal)
            .First();
    }
}
