using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Pipeline;

/// <summary>
/// Models of every opset from 7 to 21, and one using the com.microsoft domain, through compress → pack → unpack: each
/// rung runs in ONNX Runtime and stays close to the original.
/// </summary>
public sealed class OpsetRangeTests
{
    private static readonly ModelEvaluator Evaluator = new();

    public static TheoryData<long, string> Cases()
    {
        var data = new TheoryData<long, string>();
        foreach (var opset in new long[] { 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21 })
        {
            foreach (var recipe in new[] { "q8cs", "q4b32a", "km4" })
            {
                data.Add(opset, recipe);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryOpset_CompressedPackedAndUnpacked_RunsAndAgrees(long opset, string recipe)
    {
        var model = TestModels.Mlp(seed: 4, opset);
        var compressed = ModelCompressor.Compress(model, Recipe.Parse(recipe));

        var fidelity = Fidelity(model, RoundTrip(compressed), GeneratedInputs.Create([784], 64, seed: 2));

        Assert.False(compressed.ChangesNothing, $"{recipe} at opset {opset} changed nothing: {string.Join("; ", compressed.Notes.Select(n => n.Detail))}");
        Assert.True(fidelity.MeanCosine > 0.97, $"{recipe} at opset {opset}: cosine {fidelity.MeanCosine:F4}");
    }

    [Theory]
    [InlineData("q8cs")]
    [InlineData("q4b32a")]
    [InlineData("ternary")]
    public void AGraphWithComMicrosoftOps_Compresses(string recipe)
    {
        var random = new Random(6);
        var graph = new GraphProto { Name = "ms-domain" };
        graph.Input.Add(TestModels.FloatInput("x", -1, 64));
        graph.Output.Add(TestModels.FloatInput("y", -1, 64));
        graph.Initializer.Add(TestModels.Weights(random, "w1", 64, 64));
        graph.Initializer.Add(TestModels.Weights(random, "w2", 64, 64));
        graph.Node.Add(TestModels.Node("MatMul", ["x", "w1"], ["h"]));
        var gelu = TestModels.Node("Gelu", ["h"], ["g"]);
        gelu.Domain = "com.microsoft";
        graph.Node.Add(gelu);
        graph.Node.Add(TestModels.Node("MatMul", ["g", "w2"], ["y"]));
        var model = TestModels.Model(graph, 13);
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        var compressed = ModelCompressor.Compress(model, Recipe.Parse(recipe));

        var fidelity = Fidelity(model, RoundTrip(compressed), GeneratedInputs.Create([64], 32, seed: 3));

        Assert.Equal(2, compressed.Notes.Count(n => n.Action == TensorAction.Compressed));
        Assert.Contains(compressed.Model.OpsetImport, o => o.Domain == "com.microsoft");
        Assert.True(fidelity.MeanCosine > 0.7, $"{recipe}: cosine {fidelity.MeanCosine:F4}");
    }

    private static byte[] RoundTrip(CompressedModel compressed)
    {
        using var unpacked = new MemoryStream();
        ArtifactReader.Unpack(new MemoryStream(ArtifactWriter.Pack(compressed), writable: false), unpacked);
        return unpacked.ToArray();
    }

    private static Fidelity Fidelity(ModelProto original, byte[] candidate, EvalSet inputs) =>
        Evaluator.Fidelity(candidate, OnnxModelFile.Serialize(original), inputs);
}
