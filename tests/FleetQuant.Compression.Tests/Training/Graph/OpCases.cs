using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Tests.Training.Graph;

/// <summary>A float operand of a one-node test model.</summary>
internal sealed record TensorSpec(string Name, int[] Shape, float[] Values);

/// <summary>
/// One node on small random tensors, as a model whose float operands are all initializers (for gradient checks) or
/// whose first operand is the graph input (for ONNX Runtime).
/// </summary>
internal sealed record OpCase(string Name, NodeProto Node, TensorSpec[] Tensors, TensorProto[] Constants, long Opset = 13, bool Training = false)
{
    public const string Output = "Y";

    public ModelProto Model(bool firstAsInput)
    {
        var graph = new GraphProto { Name = Name };
        foreach (var (tensor, i) in Tensors.Select((t, i) => (t, i)))
        {
            if (firstAsInput && i == 0)
            {
                graph.Input.Add(Value(tensor.Name, tensor.Shape));
            }
            else
            {
                graph.Initializer.Add(TensorData.CreateFloat(tensor.Name, tensor.Shape.Select(d => (long)d), tensor.Values));
            }
        }
        graph.Initializer.AddRange(Constants);
        graph.Node.Add(Node.Clone());
        graph.Output.Add(Value(Output, null));
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    public override string ToString() => Name;

    private static ValueInfoProto Value(string name, int[]? shape)
    {
        var type = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float };
        if (shape is not null)
        {
            type.Shape = new TensorShapeProto();
            type.Shape.Dim.AddRange(shape.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = type } };
    }
}

internal static class OpCases
{
    public static readonly string[] Names =
    [
        "Add", "AddBroadcastBoth", "Sub", "Mul", "Gemm", "GemmTransA", "MatMul", "MatMulBatched",
        "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Identity", "Softmax", "SoftmaxOpset11", "LogSoftmax",
        "Flatten", "Reshape", "Transpose", "Concat", "Conv", "ConvUnitStridePadded", "ConvDilatedAsymmetricPads", "ConvSameUpper",
        "MaxPool", "MaxPoolPaddedCeil", "AveragePool", "AveragePoolIncludePadCeil", "GlobalAveragePool",
        "BatchNormalization", "Dropout", "DropoutTraining",
    ];

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var name in Names)
        {
            data.Add(name);
        }
        return data;
    }

    public static OpCase Create(string name)
    {
        // string.GetHashCode is randomised per process; the cases must be the same every run.
        var random = new Random(name.Aggregate(17, (h, c) => unchecked(h * 31 + c)));
        TensorSpec T(string tensor, params int[] shape) => new(tensor, shape, Smooth(random, shape));
        TensorSpec AwayFromZero(string tensor, params int[] shape) => new(tensor, shape, KinkFree(random, shape));
        TensorSpec Distinct(string tensor, params int[] shape) => new(tensor, shape, Spread(random, shape));
        OpCase Case(string op, TensorSpec[] tensors, params AttributeProto[] attributes) =>
            new(name, Node(op, tensors.Select(t => t.Name), attributes), tensors, []);

        return name switch
        {
            "Add" => Case("Add", [T("X", 2, 3, 4), T("B", 4)]),
            "AddBroadcastBoth" => Case("Add", [T("X", 2, 1, 4), T("B", 3, 1)]),
            "Sub" => Case("Sub", [T("X", 2, 3), T("B", 2, 1)]),
            "Mul" => Case("Mul", [T("X", 2, 3, 4), T("B", 1, 3, 1)]),
            "Gemm" => Case("Gemm", [T("A", 3, 4), T("W", 5, 4), T("C", 5)], Int("transB", 1)),
            "GemmTransA" => Case("Gemm", [T("A", 4, 3), T("W", 4, 5), T("C", 3, 1)], Int("transA", 1), Float("alpha", 0.5f), Float("beta", 2f)),
            "MatMul" => Case("MatMul", [T("X", 2, 3, 4), T("W", 4, 5)]),
            "MatMulBatched" => Case("MatMul", [T("X", 2, 3, 4), T("W", 2, 4, 5)]),
            "Relu" => Case("Relu", [AwayFromZero("X", 3, 5)]),
            "LeakyRelu" => Case("LeakyRelu", [AwayFromZero("X", 3, 5)], Float("alpha", 0.2f)),
            "Sigmoid" => Case("Sigmoid", [T("X", 3, 5)]),
            "Tanh" => Case("Tanh", [T("X", 3, 5)]),
            "Identity" => Case("Identity", [T("X", 3, 5)]),
            "Softmax" => Case("Softmax", [T("X", 2, 3, 4)], Int("axis", 1)),
            "SoftmaxOpset11" => Case("Softmax", [T("X", 2, 3, 4)], Int("axis", 1)) with { Opset = 11 },
            "LogSoftmax" => Case("LogSoftmax", [T("X", 3, 5)], Int("axis", -1)),
            "Flatten" => Case("Flatten", [T("X", 2, 3, 2, 2)], Int("axis", 2)),
            "Reshape" => new OpCase(name, Node("Reshape", ["X", "shape"]), [T("X", 2, 3, 4)], [TensorData.CreateInt64("shape", [2], [0, -1])]),
            "Transpose" => Case("Transpose", [T("X", 2, 3, 4, 2)], Ints("perm", 0, 2, 3, 1)),
            "Concat" => Case("Concat", [T("A", 2, 3), T("B", 2, 2)], Int("axis", 1)),
            "Conv" => Case("Conv", [T("X", 2, 4, 6, 6), T("W", 6, 2, 3, 3), T("B", 6)], Int("group", 2), Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 2)),
            "ConvUnitStridePadded" => Case("Conv", [T("X", 2, 3, 5, 6), T("W", 4, 3, 3, 2), T("B", 4)], Ints("pads", 1, 2, 0, 1)),
            "ConvDilatedAsymmetricPads" => Case("Conv", [T("X", 1, 2, 7, 7), T("W", 3, 2, 3, 3)], Ints("dilations", 2, 2), Ints("pads", 1, 0, 2, 1)),
            "ConvSameUpper" => Case("Conv", [T("X", 1, 3, 5, 5), T("W", 4, 3, 2, 2), T("B", 4)], Str("auto_pad", "SAME_UPPER"), Ints("strides", 2, 2)),
            "MaxPool" => Case("MaxPool", [Distinct("X", 2, 3, 6, 6)], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)),
            "MaxPoolPaddedCeil" => Case("MaxPool", [Distinct("X", 1, 2, 6, 6)], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), Int("ceil_mode", 1)),
            "AveragePool" => Case("AveragePool", [T("X", 2, 2, 5, 5)], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1)),
            "AveragePoolIncludePadCeil" => Case("AveragePool", [T("X", 1, 2, 6, 6)], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), Int("count_include_pad", 1), Int("ceil_mode", 1)),
            "GlobalAveragePool" => Case("GlobalAveragePool", [T("X", 2, 3, 4, 4)]),
            "BatchNormalization" => Case("BatchNormalization", [T("X", 2, 3, 4, 4), T("scale", 3), T("bias", 3), T("mean", 3), Positive(random, "var", 3)], Float("epsilon", 1e-3f)),
            "Dropout" => new OpCase(name, Node("Dropout", ["X", "ratio"]), [T("X", 3, 5)], [TensorData.CreateFloat("ratio", [], [0.3f])]),
            "DropoutTraining" => new OpCase(name, Node("Dropout", ["X", "ratio"]), [T("X", 3, 5)], [TensorData.CreateFloat("ratio", [], [0.3f])], Training: true),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such case"),
        };
    }

    public static NodeProto Node(string op, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"{op.ToLowerInvariant()}0" };
        node.Input.AddRange(inputs);
        node.Output.Add(OpCase.Output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Str(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>Uniform in [−1, 1].</summary>
    public static float[] Smooth(Random random, int[] shape) =>
        Enumerable.Range(0, Count(shape)).Select(_ => random.NextSingle() * 2 - 1).ToArray();

    /// <summary>Magnitudes in [0.1, 1]: far enough from Relu's kink that a finite difference never crosses it.</summary>
    private static float[] KinkFree(Random random, int[] shape) =>
        Enumerable.Range(0, Count(shape)).Select(_ => (0.1f + 0.9f * random.NextSingle()) * (random.Next(2) == 0 ? -1 : 1)).ToArray();

    /// <summary>Values 0.05 apart in random order, so a small perturbation never changes which one is a window's maximum.</summary>
    private static float[] Spread(Random random, int[] shape)
    {
        var values = Enumerable.Range(0, Count(shape)).Select(i => i * 0.05f - 1f).ToArray();
        random.Shuffle(values);
        return values;
    }

    private static TensorSpec Positive(Random random, string name, params int[] shape) =>
        new(name, shape, Enumerable.Range(0, Count(shape)).Select(_ => 0.5f + random.NextSingle()).ToArray());

    private static int Count(int[] shape) => shape.Aggregate(1, (a, d) => a * d);
}
