using System.Security.Cryptography;
using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.TensorCoding;
using Google.Protobuf;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Artifacts;

public sealed class ArtifactRoundTripTests
{
    [Fact]
    public void Pack_SameModelTwice_GivesIdenticalBytes()
    {
        var first = ArtifactWriter.Pack(ArtifactTestModels.Quantized(TestModels.Mlp(), 8, CodeLayout.Int8, "fc1.weight"));
        var second = ArtifactWriter.Pack(ArtifactTestModels.Quantized(TestModels.Mlp(), 8, CodeLayout.Int8, "fc1.weight"));

        Assert.Equal(SHA256.HashData(first), SHA256.HashData(second));
    }

    [Fact]
    public void Unpack_Fp32Mlp_RunsWithIdenticalOutputs()
    {
        var compressed = ArtifactTestModels.Fp32(TestModels.Mlp());

        var (onnx, info) = ArtifactTestModels.Unpack(ArtifactWriter.Pack(compressed));

        Assert.Equal(ArtifactTestModels.Run(compressed.Model.ToByteArray(), [784]), ArtifactTestModels.Run(onnx, [784]));
        Assert.Equal("fp32", info.RecipeId);
        Assert.Equal(6, info.TensorCount);
        Assert.Equal(onnx.Length, info.DecodedBytes);
    }

    public static TheoryData<string> HandBuiltModels() => ["int8", "uint8", "int4", "ternary-int8", "binary-int8", "codebook4", "codebook2", "sparse50", "sparse90", "cnn-int8"];

    [Theory]
    [MemberData(nameof(HandBuiltModels))]
    public void Unpack_HandBuiltEncodings_RebuildsEveryInitializerAndOutputExactly(string kind)
    {
        var (compressed, inputShape) = Build(kind);

        var artifact = ArtifactWriter.Pack(compressed);
        var (onnx, _) = ArtifactTestModels.Unpack(artifact);

        var decoded = OnnxModelFile.Parse(onnx);
        var expected = compressed.Model.Graph.Initializer.ToDictionary(t => t.Name);
        Assert.Equal(expected.Count, decoded.Graph.Initializer.Count);
        foreach (var tensor in decoded.Graph.Initializer)
        {
            Assert.Equal(expected[tensor.Name], tensor);
        }
        Assert.Equal(ArtifactTestModels.Run(compressed.Model.ToByteArray(), inputShape), ArtifactTestModels.Run(onnx, inputShape));
    }

    [Fact]
    public void Unpack_Packed2Codes_RebuildsTheRuntimeBytes()
    {
        var model = TestModels.Mlp();
        var context = new CompressionContext(model, Compression.Recipes.Recipe.Fp32, null);
        var random = new Random(5);
        var codes = Enumerable.Range(0, 4 * 999).Select(_ => random.Next(3)).ToArray();
        context.Publish(model.Graph, new EncodedTensor("blob", DataType.Uint8, [999], new IntegerCodesEncoding(2, 0, CodeLayout.Packed2, codes)));
        var compressed = new CompressedModel(model, Compression.Recipes.Recipe.Fp32, context.Encodings, []);

        var (onnx, _) = ArtifactTestModels.Unpack(ArtifactWriter.Pack(compressed));

        Assert.Equal(model.Graph.Initializer.Single(t => t.Name == "blob"), OnnxModelFile.Parse(onnx).Graph.Initializer.Single(t => t.Name == "blob"));
    }

    [Theory]
    [InlineData("int8")]
    [InlineData("int4")]
    [InlineData("sparse50")]
    [InlineData("codebook4")]
    public void Pack_IsSmallerThanBitPackedTensorsUnderZstd19(string kind)
    {
        var (compressed, _) = Build(kind);

        var artifact = ArtifactWriter.Pack(compressed);

        Assert.True(artifact.Length < BitPackedZstdSize(compressed), $"artifact {artifact.Length} bytes, bit-packed+zstd {BitPackedZstdSize(compressed)}");
    }

    [Fact]
    public void Unpack_PeakExtraMemory_StaysBelowLargestTensorPlusConstant()
    {
        // Four 1 MiB FP32 layers: decoding must hold about one of them, never the model.
        var random = new Random(9);
        var g = new GraphProto { Name = "deep" };
        g.Input.Add(TestModels.FloatInput("input", -1, 512));
        g.Output.Add(TestModels.FloatInput("h4", -1, 512));
        for (var i = 1; i <= 4; i++)
        {
            g.Initializer.Add(TestModels.Weights(random, $"w{i}", 512, 512));
            g.Node.Add(TestModels.Node("MatMul", [i == 1 ? "input" : $"h{i - 1}", $"w{i}"], [$"h{i}"]));
        }
        var artifact = ArtifactWriter.Pack(ArtifactTestModels.Fp32(TestModels.Model(g, 13)));
        using var input = new MemoryStream(artifact, writable: false);
        ArtifactReader.Unpack(input, Stream.Null);
        input.Position = 0;

        var info = ArtifactReader.Unpack(input, Stream.Null);

        // The constant: 64 KiB output chunk, table and skeleton, reused zstd workspaces and range-coder tables.
        const long constant = 1L << 20;
        Assert.True(info.PeakExtraBytes <= info.LargestTensorBytes + constant, $"peak {info.PeakExtraBytes}, largest {info.LargestTensorBytes}");
        Assert.True(info.PeakExtraBytes < info.DecodedBytes / 2, $"peak {info.PeakExtraBytes} vs model {info.DecodedBytes} bytes");
    }

    internal static (CompressedModel Model, int[] InputShape) Build(string kind) => kind switch
    {
        "int8" => (ArtifactTestModels.Quantized(TestModels.Mlp(), 8, CodeLayout.Int8, "fc1.weight", "fc2.weight", "fc3.weight"), [784]),
        "uint8" => (ArtifactTestModels.Quantized(TestModels.Mlp(), 8, CodeLayout.UInt8, "fc1.weight", "fc2.weight"), [784]),
        "int4" => (ArtifactTestModels.Quantized(TestModels.Mlp(opset: 21), 4, CodeLayout.Packed4, "fc1.weight", "fc2.weight"), [784]),
        "ternary-int8" => (ArtifactTestModels.Quantized(TestModels.Mlp(), 2, CodeLayout.Int8, "fc1.weight"), [784]),
        "binary-int8" => (ArtifactTestModels.Quantized(TestModels.Mlp(), 1, CodeLayout.Int8, "fc1.weight"), [784]),
        "codebook4" => (ArtifactTestModels.Codebook(TestModels.Mlp(), 4, "fc1.weight", "fc2.weight"), [784]),
        "codebook2" => (ArtifactTestModels.Codebook(TestModels.Mlp(), 2, "fc1.weight"), [784]),
        "sparse50" => (ArtifactTestModels.Fp32(ArtifactTestModels.Pruned(TestModels.Mlp(), 0.5, "fc1.weight", "fc2.weight")), [784]),
        "sparse90" => (ArtifactTestModels.Fp32(ArtifactTestModels.Pruned(TestModels.Mlp(), 0.9, "fc1.weight", "fc2.weight")), [784]),
        "cnn-int8" => (ArtifactTestModels.Quantized(TestModels.SmallCnn(), 8, CodeLayout.Int8, "conv2.weight", "fc.weight"), [1, 8, 8]),
        _ => throw new ArgumentException(kind),
    };

    /// <summary>The engine's interim wire measure: skeleton plus tensors bit-packed at their code width, all under zstd -19.</summary>
    internal static long BitPackedZstdSize(CompressedModel model)
    {
        using var all = new MemoryStream();
        var skeleton = model.Model.Clone();
        skeleton.Graph.Initializer.Clear();
        all.Write(skeleton.ToByteArray());
        foreach (var tensor in model.Model.Graph.Initializer)
        {
            if (model.Encodings.TryGetValue(tensor.Name, out var encoded))
            {
                var (bits, symbols) = encoded.Encoding switch
                {
                    IntegerCodesEncoding c => (c.Bits, c.Codes),
                    CodebookEncoding b => (b.Bits, b.Indices),
                    _ => throw new InvalidOperationException(),
                };
                all.Write(StreamCoder.Pack(symbols.Select(s => (byte)s).ToArray(), bits));
            }
            else
            {
                all.Write(tensor.RawData.Span);
            }
        }
        using var compressor = new ZstdSharp.Compressor(19);
        return compressor.Wrap(all.ToArray()).Length;
    }
}
