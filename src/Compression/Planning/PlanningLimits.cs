using FleetQuant.Protocol.Messages;

namespace FleetQuant.Compression.Planning;

/// <summary>
/// The device quantities a plan may depend on, bucketed (<see cref="ClassBuckets"/>) so they are equal across a
/// hardware class; the device id, tags and exact measurements never reach the decision.
/// </summary>
public sealed record PlanningLimits(
    long MemoryBudgetBytes,
    long StorageBytes,
    long BandwidthBitsPerSecond,
    long? DataCapBytesPerMonth,
    long? DataCapAllowanceBytes,
    bool FastIntegerKernels)
{
    public static PlanningLimits For(DeviceProfile profile, PlanPolicy policy)
    {
        long? cap = profile.DataCapBytesPerMonth is { } c ? ClassBuckets.FloorDecimal(c) : null;
        return new PlanningLimits(
            ClassBuckets.FloorBinary(profile.ModelMemoryBudgetBytes),
            ClassBuckets.FloorBinary(profile.StorageBytes),
            ClassBuckets.FloorDecimal(profile.BandwidthBitsPerSecond),
            cap,
            cap is { } capped ? (long)Math.Floor(capped * policy.MaxDataCapShare) : null,
            CpuKernels.HasFastIntegerKernels(profile));
    }

    public double TransferSeconds(long bytes) => bytes * 8.0 / BandwidthBitsPerSecond;
}
