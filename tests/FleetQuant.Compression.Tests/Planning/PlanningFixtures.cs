using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Planning;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.Compression.Tests.Planning;

/// <summary>A hand-made ladder shaped like a small vision model's, and device profiles built around it.</summary>
internal static class PlanningFixtures
{
    public const long MiB = 1 << 20;

    /// <summary>
    /// fp32 and q8cs are within 0.2 pt (a tie); km4 and sp75 are the float-runtime recipes; sp75 and
    /// sp50+q4b32a are the only ones under 8 MiB of runtime memory; p50+q4b32a loses more than 2 pt.
    /// </summary>
    public static Ladder VisionLadder { get; } = new(
        Ladder.AccuracyMetric,
        new LadderBaseline(Mib(41.5), 100 * MiB, 0.900, 30),
        [
            Entry("fp32", 32, 0, 41.5, 100, 0.900, 30),
            Entry("q8cs", 8, 0, 10.4, 48, 0.899, 26),
            Entry("dq8", 8, 0, 10.5, 46, 0.896, 15),
            Entry("km4", 4, 0, 5.6, 100, 0.892, 30),
            Entry("q4b32a", 4, 0, 6.0, 36, 0.890, 20),
            Entry("sp25+q8cs", 8, 0.25, 6.2, 30, 0.885, 18),
            Entry("sp50", 32, 0.5, 21, 56, 0.882, 16),
            Entry("sp50+q4b32a", 4, 0.5, 2.5, 7, 0.881, 8),
            Entry("sp75", 32, 0.75, 5.1, 7.8, 0.880, 9),
            Entry("p50+q4b32a", 4, 0.5, 3.4, 36, 0.875, 20),
        ]);

    public static DeviceProfile Device(
        double budgetMiB = 2048,
        long bandwidth = 100_000_000,
        string arch = "arm64",
        string[]? features = null,
        long? dataCap = null,
        string id = "device-1") => new()
    {
        DeviceId = id,
        HardwareClass = "test-class",
        Arch = arch,
        CpuCores = 4,
        CpuFeatures = features ?? ["neon", "asimd", "dotprod"],
        RamBytes = 16L * 1024 * MiB,
        ModelMemoryBudgetBytes = Mib(budgetMiB),
        StorageBytes = 64L * 1024 * MiB,
        BandwidthBitsPerSecond = bandwidth,
        DataCapBytesPerMonth = dataCap,
    };

    public static long Mib(double mib) => (long)Math.Round(mib * MiB);

    private static LadderEntry Entry(string id, int bits, double prune, double wireMiB, double runtimeMiB, double accuracy, double latencyMs) =>
        new(id, bits, prune, Mib(wireMiB), Mib(runtimeMiB), accuracy, Math.Round(0.900 - accuracy, 6), latencyMs, Pareto: false);
}
