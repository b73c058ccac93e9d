using System.Buffers.Binary;
using System.Diagnostics;
using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Deltas;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.TensorCoding;
using FleetQuant.Compression.Tests.Artifacts;
using FleetQuant.Compression.Tests.Deltas;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Fuzz;

/// <summary>
/// Mutated artifacts and deltas must fail with their typed exception (or, if a mutation is harmless, decode to the
/// exact original): never another exception type, never a hang, never a large allocation. CI runs the default case
/// counts; <c>FLEETQUANT_FUZZ_CASES=100000</c> runs the long form (docs/BENCHMARKS.md, "Fuzzing").
/// </summary>
[Trait("Category", "Fuzz")]
[Collection(nameof(FuzzCollection))]
public sealed class ArtifactFuzzTests
{
    private static readonly TimeSpan CaseDeadline = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Unpack_MutatedArtifacts_FailWithArtifactExceptionOrDecodeExactly()
    {
        var original = ArtifactWriter.Pack(ArtifactTestModels.Tiny());
        var expected = ArtifactTestModels.Unpack(original).Onnx;

        await RunAsync("artifact", original, isArtifact: true, seed: 20261127, ciCases: 2000, minRejectedShare: 0.5, bytes =>
        {
            try
            {
                var (onnx, _) = ArtifactTestModels.Unpack(bytes, ArtifactRefusalTests.FuzzLimits);
                return onnx.AsSpan().SequenceEqual(expected) ? "decoded-identical" : "decoded-different";
            }
            catch (ArtifactException)
            {
                return "rejected";
            }
        });
    }

    [Fact]
    public async Task Apply_MutatedDeltas_FailWithDeltaExceptionOrRebuildTheTarget()
    {
        var a = ArtifactWriter.Pack(ArtifactTestModels.Tiny());
        var b = ArtifactWriter.Pack(new CompressedModel(ArtifactTestModels.FineTuned(ArtifactTestModels.Tiny().Model), Compression.Recipes.Recipe.Fp32,
            new Dictionary<string, EncodedTensor>(), []));

        await RunDeltaAsync("delta", a, b, seed: 99, ciCases: 500);
    }

    [Fact]
    public async Task Apply_MutatedPredictionDeltas_FailWithDeltaExceptionOrRebuildTheTarget()
    {
        // A recipe change (q4b32a to q8cs): the delta predicts the new codes from the old model's weights.
        await RunDeltaAsync("prediction-delta", ArtifactTestModels.PackMlp("q4b32a", "v1"), ArtifactTestModels.PackMlp("q8cs", "v1"), seed: 5, ciCases: 300);
    }

    private static Task RunDeltaAsync(string name, byte[] a, byte[] b, int seed, int ciCases) =>
        RunAsync(name, DeltaEncoder.Create(a, b), isArtifact: false, seed, ciCases, minRejectedShare: 0.8, bytes =>
        {
            try
            {
                return DeltaRoundTripTests.Apply(a, bytes).Target.AsSpan().SequenceEqual(b) ? "rebuilt-identical" : "rebuilt-different";
            }
            catch (DeltaException)
            {
                return "rejected";
            }
        });

    /// <summary>Mutates <paramref name="original"/> case after case; any outcome but rejected or identical fails the run.</summary>
    private static async Task RunAsync(string name, byte[] original, bool isArtifact, int seed, int ciCases, double minRejectedShare, Func<byte[], string> decode)
    {
        var cases = FuzzRun.Cases(ciCases);
        var random = new Random(seed);
        var outcomes = new Dictionary<string, int>();
        var heapBefore = FuzzRun.CollectedHeapBytes();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < cases; i++)
        {
            var (mutation, bytes) = Mutate(original, random, isArtifact);
            var outcome = await FuzzRun.WithDeadline(() => Task.FromResult(decode(bytes)), CaseDeadline, $"{name} case {i} ({mutation})");
            Assert.True(outcome is "rejected" or "decoded-identical" or "rebuilt-identical", $"{name} case {i} ({mutation}): {outcome} without an error");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        FuzzRun.AssertBoundedMemory(heapBefore, name);
        Assert.True(outcomes.GetValueOrDefault("rejected") > cases * minRejectedShare, string.Join(", ", outcomes));
        Console.WriteLine(FuzzRun.Summary(name, cases, clock, outcomes));
    }

    internal static (string Mutation, byte[] Bytes) Mutate(byte[] original, Random random, bool isArtifact = true)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(isArtifact ? 6 : 4))
        {
            case 0:
                return ("truncate", bytes[..random.Next(bytes.Length)]);
            case 1:
                var flips = 1 + random.Next(3);
                for (var f = 0; f < flips; f++)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }
                return ("flip bits", bytes);
            case 2:
                var at = random.Next(bytes.Length - 4);
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), random.Next(2) == 0 ? uint.MaxValue : (uint)int.MaxValue);
                return ("overwrite huge", bytes);
            case 3:
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8 + 4 * random.Next(3)), random.Next(2) == 0 ? int.MaxValue : random.Next(1, 1 << 16));
                return ("header size", bytes);
            default:
                // Mutate inside the compressed table and re-wrap it validly, so the table parser itself is attacked.
                var table = ArtifactRefusalTests.TableBytes(original);
                var mutated = (byte[])table.Clone();
                var edits = 1 + random.Next(3);
                for (var e = 0; e < edits; e++)
                {
                    var position = random.Next(mutated.Length);
                    mutated[position] = random.Next(3) switch
                    {
                        0 => 0xFF,
                        1 => (byte)random.Next(256),
                        _ => (byte)(mutated[position] ^ (1 << random.Next(8))),
                    };
                }
                return ("table field", ArtifactRefusalTests.Rewrap(original, mutated));
        }
    }
}
