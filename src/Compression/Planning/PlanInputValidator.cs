using FleetQuant.Compression.Ladders;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.Compression.Planning;

/// <summary>
/// Rejects planner inputs that make no sense (negative memory, zero bandwidth, fractions outside [0, 1]) with a
/// message naming the field, so a bad profile is fixed at its source instead of producing a strange plan.
/// </summary>
public static class PlanInputValidator
{
    private const int MaxTextLength = 256;

    public static void Validate(DeviceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        RequireText(profile.DeviceId, "deviceId");
        RequireText(profile.HardwareClass, "hardwareClass");
        RequireText(profile.Arch, "arch");
        if (profile.CpuCores < 1)
        {
            throw Fail(profile, $"cpuCores must be at least 1, got {profile.CpuCores}");
        }
        if (profile.CpuFeatures is null || profile.CpuFeatures.Any(f => string.IsNullOrWhiteSpace(f) || f.Length > MaxTextLength))
        {
            throw Fail(profile, "cpuFeatures must be a list of non-empty feature names such as \"neon\" or \"avx2\"");
        }
        RequirePositive(profile, profile.RamBytes, "ramBytes");
        RequirePositive(profile, profile.ModelMemoryBudgetBytes, "modelMemoryBudgetBytes");
        if (profile.ModelMemoryBudgetBytes > profile.RamBytes)
        {
            throw Fail(profile, $"modelMemoryBudgetBytes ({profile.ModelMemoryBudgetBytes}) exceeds ramBytes ({profile.RamBytes})");
        }
        RequirePositive(profile, profile.StorageBytes, "storageBytes");
        RequirePositive(profile, profile.BandwidthBitsPerSecond, "bandwidthBitsPerSecond");
        if (profile.DataCapBytesPerMonth is { } cap && cap <= 0)
        {
            throw Fail(profile, $"dataCapBytesPerMonth must be positive when set, got {cap} (omit it for no cap)");
        }
        if (profile.OrtVersion is null || profile.AgentVersion is null)
        {
            throw Fail(profile, "ortVersion and agentVersion must be strings when present");
        }
        if (profile.Tags is null || profile.Tags.Any(t => string.IsNullOrEmpty(t.Key) || t.Value is null))
        {
            throw Fail(profile, "tags must map non-empty names to string values");
        }
    }

    public static void Validate(PlanPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!double.IsFinite(policy.MaxTransferSeconds) || policy.MaxTransferSeconds <= 0)
        {
            throw new ProfileException($"policy: maxTransferSeconds must be a positive number of seconds, got {policy.MaxTransferSeconds}");
        }
        RequireFraction(policy.MaxAccuracyDrop, "maxAccuracyDrop");
        if (policy.MinAccuracy is { } min)
        {
            RequireFraction(min, "minAccuracy");
        }
        RequireFraction(policy.MaxDataCapShare, "maxDataCapShare");
        if (policy.MaxDataCapShare == 0)
        {
            throw new ProfileException("policy: maxDataCapShare must be above 0, or no capped device could ever update");
        }
        RequireFraction(policy.AccuracyTolerance, "accuracyTolerance");
    }

    public static void Validate(CurrentModel? current)
    {
        if (current is null)
        {
            return;
        }
        if (string.IsNullOrWhiteSpace(current.RecipeId))
        {
            throw new ProfileException("current model: recipeId is required");
        }
        if (current.DeltaBytesByRecipe is null)
        {
            throw new ProfileException("current model: deltaBytesByRecipe must be a map (empty when no delta is known)");
        }
        foreach (var (recipe, bytes) in current.DeltaBytesByRecipe)
        {
            if (bytes < 0)
            {
                throw new ProfileException($"current model: delta to '{recipe}' has negative size {bytes}");
            }
        }
    }

    /// <summary>
    /// Checks the numbers the planner relies on; ladders come from files, so they are input too. Recipes the ladder
    /// marks as failed carry no numbers and are skipped, but at least one must have been measured.
    /// </summary>
    public static void Validate(Ladder ladder)
    {
        ArgumentNullException.ThrowIfNull(ladder);
        if (ladder.Recipes is null || ladder.Recipes.Count == 0)
        {
            throw new InvalidDataException("ladder has no recipes to plan from");
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in ladder.Recipes)
        {
            if (entry is null || string.IsNullOrWhiteSpace(entry.Id))
            {
                throw new InvalidDataException("ladder has a recipe without an id");
            }
            if (!ids.Add(entry.Id))
            {
                throw new InvalidDataException($"ladder lists recipe '{entry.Id}' twice");
            }
            if (entry.Failed)
            {
                continue;
            }
            if (entry.WireBytes <= 0 || entry.RuntimeBytes <= 0)
            {
                throw new InvalidDataException($"ladder recipe '{entry.Id}' needs positive wireBytes and runtimeBytes");
            }
            if (!double.IsFinite(entry.Accuracy) || entry.Accuracy is < 0 or > 1 || !double.IsFinite(entry.AccuracyDrop)
                || !double.IsFinite(entry.LatencyMs) || entry.LatencyMs < 0)
            {
                throw new InvalidDataException(
                    $"ladder recipe '{entry.Id}' needs accuracy in [0, 1], a finite accuracyDrop and a non-negative latencyMs");
            }
        }
        if (ladder.Recipes.All(r => r.Failed))
        {
            throw new InvalidDataException("every recipe of the ladder failed to compress or run; there is nothing to plan from");
        }
    }

    private static void RequireText(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ProfileException($"profile: {field} is required");
        }
        if (value.Length > MaxTextLength)
        {
            throw new ProfileException($"profile: {field} is longer than {MaxTextLength} characters");
        }
    }

    private static void RequirePositive(DeviceProfile profile, long value, string field)
    {
        if (value <= 0)
        {
            throw Fail(profile, $"{field} must be positive, got {value}");
        }
    }

    private static void RequireFraction(double value, string field)
    {
        if (!double.IsFinite(value) || value is < 0 or > 1)
        {
            throw new ProfileException($"policy: {field} is a fraction in [0, 1] (0.02 = 2 %), got {value}");
        }
    }

    private static ProfileException Fail(DeviceProfile profile, string problem) =>
        new($"profile '{profile.DeviceId}': {problem}");
}
