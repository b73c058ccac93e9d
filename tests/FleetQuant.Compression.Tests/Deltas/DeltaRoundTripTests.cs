using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Deltas;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.TensorCoding;
using FleetQuant.Compression.Tests.Artifacts;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Deltas;

public sealed class DeltaRoundTripTests
{
    private static readonly Onnx.ModelProto V1 = TestModels.Mlp(opset: 21);
    private static readonly Onnx.ModelProto V2 = ArtifactTestModels.FineTuned(V1);

    public static TheoryData<string, string> Pairs() => new()
    {
        { "fp32/v1", "fp32/v2" },
        { "int8/v1", "int8/v2" },
        { "int4/v1", "int4/v2" },
        { "codebook4/v1", "codebook4/v2" },
        { "sparse50/v1", "sparse50/v2" },
        { "int4/v1", "int8/v1" },
        { "int4/v1", "int8/v2" },
        { "fp32/v1", "int4/v2" },
        { "int8/v2", "int8/v2" },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Patch_RebuildsTheTargetByteForByte(string from, string to)
    {
        var a = ArtifactWriter.Pack(Build(from));
        var b = ArtifactWriter.Pack(Build(to));

        var delta = DeltaEncoder.Create(a, b);
        var (patched, info) = Apply(a, delta);

        Assert.Equal(b, patched);
        Assert.Equal(b.Length, info.TargetBytes);
        Assert.True(delta.Length < b.Length, $"delta {delta.Length} bytes, target {b.Length}");
    }

    [Theory]
    [InlineData("int8", 0.3)]
    [InlineData("int4", 0.3)]
    [InlineData("codebook4", 0.3)]
    // Every FP32 weight moved by ~1% of σ: about 17 mantissa bits of each are new information.
    [InlineData("fp32", 0.85)]
    public void Delta_FineTunedVersion_IsFarSmallerThanTheTarget(string kind, double maxShare)
    {
        var a = ArtifactWriter.Pack(Build(kind + "/v1"));
        var b = ArtifactWriter.Pack(Build(kind + "/v2"));

        var delta = DeltaEncoder.Create(a, b);

        Assert.True(delta.Length < b.Length * maxShare, $"delta {delta.Length} bytes, target {b.Length}");
        Assert.Equal(b, Apply(a, delta).Target);
    }

    [Fact]
    public void Delta_SameArtifact_IsTiny()
    {
        var a = ArtifactWriter.Pack(Build("int8/v1"));

        Assert.True(DeltaEncoder.Create(a, a).Length < 200);
    }

    [Fact]
    public void Apply_WrongBase_SaysTheDeltaIsForAnotherBase()
    {
        var a = ArtifactWriter.Pack(Build("int8/v1"));
        var b = ArtifactWriter.Pack(Build("int8/v2"));
        var other = ArtifactWriter.Pack(Build("int4/v1"));
        var delta = DeltaEncoder.Create(a, b);

        var error = Assert.Throws<DeltaException>(() => Apply(other, delta));

        Assert.Contains("different base", error.Message);
    }

    internal static (byte[] Target, DeltaApplyInfo Info) Apply(byte[] a, byte[] delta)
    {
        using var source = new MemoryStream(a, writable: false);
        using var input = new MemoryStream(delta, writable: false);
        using var output = new MemoryStream();
        var info = DeltaDecoder.Apply(source, input, output);
        return (output.ToArray(), info);
    }

    private static CompressedModel Build(string spec)
    {
        var (kind, version) = (spec.Split('/')[0], spec.Split('/')[1] == "v1" ? V1 : V2);
        string[] weights = ["fc1.weight", "fc2.weight", "fc3.weight"];
        return kind switch
        {
            "fp32" => ArtifactTestModels.Fp32(version),
            "int8" => ArtifactTestModels.Quantized(version, 8, CodeLayout.Int8, weights),
            "int4" => ArtifactTestModels.Quantized(version, 4, CodeLayout.Packed4, weights),
            "codebook4" => ArtifactTestModels.Codebook(version, 4, weights),
            "sparse50" => ArtifactTestModels.Fp32(ArtifactTestModels.Pruned(version, 0.5, weights)),
            _ => throw new ArgumentException(spec),
        };
    }
}
