using FleetQuant.Compression.Ladders;

namespace FleetQuant.Compression.Planning;

/// <summary>One ladder recipe as it would reach one device: what travels (full artifact or delta) and how long it takes.</summary>
internal sealed record PlanCandidate(LadderEntry Entry, TransferKind Transfer, long TransferBytes, double Seconds, bool IntegerKernels)
{
    public static PlanCandidate For(LadderEntry entry, PlanningLimits limits, CurrentModel? current)
    {
        var delta = current?.DeltaBytesByRecipe.TryGetValue(entry.Id, out var d) == true && d < entry.WireBytes ? d : (long?)null;
        var bytes = delta ?? entry.WireBytes;
        return new PlanCandidate(
            entry,
            delta is null ? TransferKind.Full : TransferKind.Delta,
            bytes,
            limits.TransferSeconds(bytes),
            CpuKernels.UsesIntegerKernels(entry));
    }

    /// <summary>Integer kernels on a CPU without integer dot-product instructions.</summary>
    public bool SlowOnThisCpu(PlanningLimits limits) => IntegerKernels && !limits.FastIntegerKernels;
}
