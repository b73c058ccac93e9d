using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Planning;
using FleetQuant.Grains.Models;
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
            MaxAbsError = r.MaxAbsError,
            Unchanged = r.Unchanged,
            LeftExact = r.LeftExact,
            OutputFidelity = r.OutputFidelity?.Select(o => new LadderOutputFidelity(o.Name, o.Kind, o.Top1Agreement, o.Cosine, o.MaxAbsError, o.MeanAbsError)).ToList(),
        }).ToList())
    {
        EvalSamples = l.EvalSamples,
        Inputs = l.Inputs?.Select(i => new LadderInput(i.Name, i.ElementType, i.SampleShape, i.Source, i.Hint)).ToList(),
        Outputs = l.Outputs?.Select(o => new LadderOutput(o.Name, o.Kind)).ToList(),
    };

    public static LadderInfo FromLibrary(Ladder l) => new(
        l.Metric,
        new LadderBaselineInfo(l.Baseline.WireBytes, l.Baseline.RuntimeBytes, l.Baseline.Accuracy, l.Baseline.LatencyMs),
        l.Recipes.Select(r => new LadderRung(r.Id, r.WeightBits, r.PruneRatio, r.WireBytes, r.RuntimeBytes, r.Accuracy, r.AccuracyDrop,
            r.LatencyMs, r.Pareto, r.RecipeJson, r.Cosine, r.Error, r.MaxAbsError, r.Unchanged, r.LeftExact,
            r.OutputFidelity?.Select(o => new OutputFidelityInfo(o.Name, o.Kind, o.Top1Agreement, o.Cosine, o.MaxAbsError, o.MeanAbsError)).ToList())).ToList(),
        l.EvalSamples,
        l.Inputs?.Select(i => new LadderInputInfo(i.Name, i.ElementType, i.SampleShape, i.Source, i.Hint)).ToList(),
        l.Outputs?.Select(o => new LadderOutputInfo(o.Name, o.Kind)).ToList());

    public static InputHints ToLibrary(InputHintsInfo h) => new()
    {
        Shapes = h.Shapes.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        Values = h.Values.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        Ranges = h.Ranges.ToDictionary(p => p.Key, p => new ValueRange(p.Value.Low, p.Value.High), StringComparer.Ordinal),
    };

    public static InputHintsInfo FromLibrary(InputHints h) => new(
        h.Shapes.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        h.Values.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        h.Ranges.ToDictionary(p => p.Key, p => new ValueRangeInfo(p.Value.Low, p.Value.High), StringComparer.Ordinal));
}
