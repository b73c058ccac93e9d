using FleetQuant.Compression.Onnx;
using FleetQuant.Grains.Models;
using FleetQuant.TestSupport;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Grains.Tests.Support;

/// <summary>A small seeded MLP (64 → 96 → 10, softmax) and a small labelled-free eval set, so ladders take seconds.</summary>
public static class TinyModels
{
    public const int Inputs = 64;
    private const int Hidden = 96;
    private const int Classes = 10;

    /// <summary>The MLP for <paramref name="seed"/>; a non-zero <paramref name="retrain"/> nudges only the output bias, like a small fine-tune.</summary>
    public static byte[] Mlp(int seed, int retrain = 0)
    {
        var random = new Random(seed);
        var graph = new GraphProto { Name = "tiny-mlp" };
        graph.Input.Add(Value("input", -1, Inputs));
        graph.Output.Add(Value("probabilities", -1, Classes));
        graph.Initializer.Add(Weights(random, "fc1.weight", Hidden, Inputs));
        graph.Initializer.Add(Weights(random, "fc1.bias", Hidden));
        graph.Initializer.Add(Weights(random, "fc2.weight", Classes, Hidden));
        var outputBias = Weights(random, "fc2.bias", Classes);
        if (retrain != 0)
        {
            var nudge = new Random(retrain);
            outputBias = TensorData.CreateFloat("fc2.bias", [Classes], Enumerable.Range(0, Classes).Select(_ => (float)(nudge.NextDouble() * 0.2)).ToArray());
        }
        graph.Initializer.Add(outputBias);
        graph.Node.Add(Gemm("input", "fc1", "h1"));
        graph.Node.Add(new NodeProto { OpType = "Relu", Input = { "h1" }, Output = { "a1" } });
        graph.Node.Add(Gemm("a1", "fc2", "logits"));
        var softmax = new NodeProto { OpType = "Softmax", Input = { "logits" }, Output = { "probabilities" } };
        softmax.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(softmax);
        var model = new ModelProto { IrVersion = 8, ProducerName = "fleetquant-grain-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return OnnxModelFile.Serialize(model);
    }

    /// <summary>An unlabelled evaluation set as an uploaded <c>.npy</c> file: float32 [samples, <see cref="Inputs"/>].</summary>
    public static IReadOnlyList<DataFile> EvalSet(int samples, int seed)
    {
        var random = new Random(seed);
        var data = new float[samples * Inputs];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return [new DataFile("eval.npy", NpyFiles.Floats([samples, Inputs], data))];
    }

    private static NodeProto Gemm(string input, string layer, string output)
    {
        var node = new NodeProto { OpType = "Gemm", Input = { input, layer + ".weight", layer + ".bias" }, Output = { output } };
        node.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        return node;
    }

    private static TensorProto Weights(Random random, string name, params long[] dims)
    {
        var count = (int)dims.Aggregate(1L, (a, d) => a * d);
        var scale = Math.Sqrt(2.0 / (dims.Length > 1 ? dims[1] : dims[0]));
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale * 1.7);
        }
        return TensorData.CreateFloat(name, dims, values);
    }

    private static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = shape } },
        };
    }
}
