using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Recipes;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.Compression.Planning;

/// <summary>
/// The CPU-feature rule: recipes whose runtime weights are integers (q8/q4/q2 QDQ or MatMulNBits, dq8, ternary,
/// binary) are fast only where the CPU has integer dot-product instructions — AVX2 or AVX-512/AVX VNNI on x86_64,
/// the dot-product extension ("dotprod", "asimddp" in /proc/cpuinfo) on ARM. Elsewhere ONNX Runtime falls back to
/// slow generic kernels, so an equally accurate float-runtime recipe (fp32, pruned, k-means) is the better choice.
/// </summary>
public static class CpuKernels
{
    private static readonly HashSet<string> X86Arches = new(StringComparer.OrdinalIgnoreCase) { "x86_64", "amd64", "x64" };
    private static readonly HashSet<string> ArmArches = new(StringComparer.OrdinalIgnoreCase)
    {
        "arm64", "aarch64", "armv8", "armv8l", "armv7", "armv7l", "armhf", "arm",
    };
    private static readonly HashSet<string> X86IntegerDot = new(StringComparer.OrdinalIgnoreCase)
    {
        "avx2", "avx512vnni", "avx512_vnni", "avxvnni", "avx_vnni",
    };
    private static readonly HashSet<string> ArmIntegerDot = new(StringComparer.OrdinalIgnoreCase) { "dotprod", "asimddp" };

    /// <summary>Whether the device's CPU has the instructions ONNX Runtime's fast integer kernels need.</summary>
    public static bool HasFastIntegerKernels(DeviceProfile profile)
    {
        var wanted = X86Arches.Contains(profile.Arch) ? X86IntegerDot : ArmArches.Contains(profile.Arch) ? ArmIntegerDot : null;
        return wanted is not null && profile.CpuFeatures.Any(wanted.Contains);
    }

    /// <summary>Whether a ladder recipe runs integer kernels; unknown ids count as integer when their weights are under 32 bits.</summary>
    public static bool UsesIntegerKernels(LadderEntry entry)
    {
        IEnumerable<RecipeStep?> steps;
        try
        {
            steps = entry.RecipeJson is { } json ? StepsOf(Recipe.FromJson(json)) : StepsOfId(entry.Id);
        }
        catch (Exception ex) when (ex is RecipeException or InvalidOperationException or FormatException)
        {
            return entry.WeightBits < 32;
        }
        return steps.Any(s => s is QuantizeStep or DynamicQuantizeStep or TernaryStep or BinaryStep);
    }

    private static IEnumerable<RecipeStep?> StepsOf(Recipe recipe) => recipe.Steps.Concat(recipe.LayerOverrides.Values);

    // Parses step by step rather than through Recipe.Parse, which would read a file for ids ending in ".json".
    private static IEnumerable<RecipeStep?> StepsOfId(string id)
    {
        if (id == Recipe.Fp32Id)
        {
            return [];
        }
        if (id.Contains('@'))
        {
            throw new RecipeException($"'{id}' is a mixed-precision id without its JSON");
        }
        return id.Split('+').Select(Recipe.ParseStep).ToList();
    }
}
