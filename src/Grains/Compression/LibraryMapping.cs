using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Planning;
using FleetQuant.Grains.Planning;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.Grains.Compression;

/// <summary>Converts between the compression library's planning types and their serializable grain mirrors.</summary>
internal static class LibraryMapping
{
    public static DeviceProfile ToLibrary(DeviceProfileInfo p) => new()
    {
        DeviceId = p.DeviceId,
        HardwareClass = p.HardwareClass,
        Arch = p.Arch,
        CpuCores = p.CpuCores,
        CpuFeatures = p.CpuFeatures,
        RamBytes = p.RamBytes,
        ModelMemoryBudgetBytes = p.ModelMemoryBudgetBytes,
        StorageBytes = p.StorageBytes,
        BandwidthBitsPerSecond = p.BandwidthBitsPerSecond,
        DataCapBytesPerMonth = p.DataCapBytesPerMonth,
        OrtVersion = p.OrtVersion,
        AgentVersion = p.AgentVersion,
        Tags = p.Tags,
    };

    public static PlanPolicy ToLibrary(PlanPolicyInfo p) => new()
    {
        MaxTransferSeconds = p.MaxTransferSeconds,
        MaxAccuracyDrop = p.MaxAccuracyDrop,
        MinAccuracy = p.MinAccuracy,
    };

    public static DevicePlan FromLibrary(Plan p) => new(
        p.Unfit,
        p.Recipe,
        p.Transfer switch
        {
            TransferKind.Full => TransferMode.Full,
            TransferKind.Delta => TransferMode.Delta,
            _ => null,
        },
        p.Bytes,
        p.Seconds,
        p.Reason);

    public static Ladder ToLibrary(LadderInfo l) => new(
        l.Metric,
        new LadderBaseline(l.Baseline.WireBytes, l.Baseline.RuntimeBytes, l.Baseline.Accuracy, l.Baseline.LatencyMs),
        l.Rungs.Select(r => new LadderEntry(r.Id, r.WeightBits, r.PruneRatio, r.WireBytes, r.RuntimeBytes, r.Accuracy, r.AccuracyDrop, r.LatencyMs, r.Pareto)
        {
            RecipeJson = r.RecipeJson,
            Cosine = r.Cosine,
            Error = r.Error,
        }).ToList())
    {
        EvalSamples = l.EvalSamples,
    };

    public static LadderInfo FromLibrary(Ladder l) => new(
        l.Metric,
        new LadderBaselineInfo(l.Baseline.WireBytes, l.Baseline.RuntimeBytes, l.Baseline.Accuracy, l.Baseline.LatencyMs),
        l.Recipes.Select(r => new LadderRung(r.Id, r.WeightBits, r.PruneRatio, r.WireBytes, r.RuntimeBytes, r.Accuracy, r.AccuracyDrop,
            r.LatencyMs, r.Pareto, r.RecipeJson, r.Cosine, r.Error)).ToList(),
        l.EvalSamples);
}
