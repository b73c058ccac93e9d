using System.Buffers.Binary;
using FleetQuant.Compression.Artifacts;
using Google.Protobuf;

namespace FleetQuant.Compression.Tests.Artifacts;

/// <summary>
/// Crafted artifacts are refused with <see cref="ArtifactException"/> saying why, before they cost memory
/// (the random mutations are in <c>Fuzz/ArtifactFuzzTests</c>).
/// </summary>
public sealed class ArtifactRefusalTests
{
    /// <summary>Keeps each case small: a mutation that inflates sizes is refused before it can cost time or memory.</summary>
    internal static readonly ArtifactLimits FuzzLimits = new() { MaxDecodedBytes = 1 << 20, MaxTableBytes = 1 << 20, MaxTensorCount = 1000 };

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
