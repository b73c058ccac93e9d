using System.Buffers.Binary;
using System.Diagnostics;
using FleetQuant.Compression.Artifacts;
using Google.Protobuf;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Artifacts;

/// <summary>
/// Mutated artifacts must fail with <see cref="ArtifactException"/> (or, if a mutation is harmless, decode to the
/// exact original model): never another exception type, never a hang, never a large allocation.
/// </summary>
public sealed class ArtifactFuzzTests
{
    private static readonly TimeSpan CaseDeadline = TimeSpan.FromSeconds(5);

    /// <summary>Keeps each case small: a mutation that inflates sizes is refused before it can cost time or memory.</summary>
    private static readonly ArtifactLimits FuzzLimits = new() { MaxDecodedBytes = 1 << 20, MaxTableBytes = 1 << 20, MaxTensorCount = 1000 };

    [Fact]
    public async Task Unpack_MutatedArtifacts_FailWithArtifactExceptionOrDecodeExactly()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable("FLEETQUANT_FUZZ_CASES"), out var n) ? n : 2000;
        var original = ArtifactWriter.Pack(ArtifactTestModels.Tiny());
        var expected = ArtifactTestModels.Unpack(original).Onnx;
        var random = new Random(20261127);
        var outcomes = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();

        for (var i = 0; i < cases; i++)
        {
            var (mutation, bytes) = Mutate(original, random);
            var outcome = await RunWithDeadline(bytes, expected, $"case {i} ({mutation})");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        Assert.True(outcomes.GetValueOrDefault("rejected") > cases / 2, string.Join(", ", outcomes));
        Console.WriteLine($"fuzz: {cases} cases in {clock.Elapsed.TotalSeconds:F1}s: {string.Join(", ", outcomes)}");
    }

    [Theory]
    [InlineData(1L << 40)]
    [InlineData(1L << 28)]
    public void Unpack_HugeDeclaredTensor_IsRefusedBeforeAllocating(long elements)
    {
        var artifact = ArtifactWriter.Pack(ArtifactTestModels.Tiny());
        var table = ArtifactTable.Parse(TableBytes(artifact), ArtifactLimits.Default);
        var header = new Compression.Onnx.TensorProto { Name = "w1", DataType = 1 };
        header.Dims.Add(elements);
        var entries = table.Tensors.Select(t => t.Name == "w1" ? t with { Prefix = header.ToByteArray(), ElementCount = elements, RawLength = elements * 4 } : t).ToList();
        var crafted = table with { Tensors = entries };
        crafted = crafted with { DecodedLength = crafted.ComputeDecodedLength() };

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ArtifactException>(() => ArtifactTestModels.Unpack(Rewrap(artifact, crafted.Write()), FuzzLimits));

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);
        Assert.Contains("limit", error.Message);
    }

    [Fact]
    public void Unpack_UnknownVersion_SaysWhichVersionsAreRead()
    {
        var artifact = ArtifactWriter.Pack(ArtifactTestModels.Tiny());
        BinaryPrimitives.WriteUInt16LittleEndian(artifact.AsSpan(4), 9);

        var error = Assert.Throws<ArtifactException>(() => ArtifactTestModels.Unpack(artifact));

        Assert.Contains("version 9", error.Message);
    }

    [Fact]
    public void Unpack_Truncated_SaysTruncated()
    {
        var artifact = ArtifactWriter.Pack(ArtifactTestModels.Tiny());

        var error = Assert.Throws<ArtifactException>(() => ArtifactTestModels.Unpack(artifact[..^10]));

        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Unpack_FlippedPayloadBit_FailsTheHashCheck()
    {
        var artifact = ArtifactWriter.Pack(ArtifactTestModels.Tiny());
        artifact[^3] ^= 0x10;

        Assert.Throws<ArtifactException>(() => ArtifactTestModels.Unpack(artifact));
    }

    private static async Task<string> RunWithDeadline(byte[] bytes, byte[] expected, string label)
    {
        var task = Task.Run(() =>
        {
            try
            {
                var (onnx, _) = ArtifactTestModels.Unpack(bytes, FuzzLimits);
                return onnx.AsSpan().SequenceEqual(expected) ? "decoded-identical" : throw new Xunit.Sdk.XunitException($"{label}: decoded a different model without an error");
            }
            catch (ArtifactException)
            {
                return "rejected";
            }
        });
        try
        {
            return await task.WaitAsync(CaseDeadline);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"{label}: decode did not finish within {CaseDeadline.TotalSeconds}s");
        }
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
                var table = TableBytes(original);
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
                return ("table field", Rewrap(original, mutated));
        }
    }

    internal static byte[] TableBytes(byte[] artifact)
    {
        var compressed = BinaryPrimitives.ReadInt32LittleEndian(artifact.AsSpan(8));
        var length = BinaryPrimitives.ReadInt32LittleEndian(artifact.AsSpan(12));
        var skeleton = BinaryPrimitives.ReadInt32LittleEndian(artifact.AsSpan(16));
        using var decompressor = new ZstdSharp.Decompressor();
        var front = new byte[length + skeleton];
        decompressor.Unwrap(artifact.AsSpan(20, compressed), front);
        return front[..length];
    }

    /// <summary>The artifact with its table replaced by <paramref name="table"/>, compressed and framed validly.</summary>
    internal static byte[] Rewrap(byte[] artifact, byte[] table)
    {
        var oldCompressed = BinaryPrimitives.ReadInt32LittleEndian(artifact.AsSpan(8));
        var oldTable = TableBytes(artifact);
        var skeletonLength = BinaryPrimitives.ReadInt32LittleEndian(artifact.AsSpan(16));
        using var decompressor = new ZstdSharp.Decompressor();
        var front = new byte[oldTable.Length + skeletonLength];
        decompressor.Unwrap(artifact.AsSpan(20, oldCompressed), front);
        using var compressor = new ZstdSharp.Compressor(3);
        var frame = compressor.Wrap([.. table, .. front[oldTable.Length..]]).ToArray();
        var header = artifact[..20];
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), frame.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), table.Length);
        return [.. header, .. frame, .. artifact[(20 + oldCompressed)..]];
    }
}
