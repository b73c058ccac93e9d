using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Tests.Support;

/// <summary>Small ONNX models built in code with seeded random weights, for tests that need a known graph.</summary>
public static class TestModels
{
    /// <summary>784-64-32-10 MLP: Gemm (transB=1) → Relu → MatMul + Add → Relu → Gemm → Softmax, opset 13.</summary>
    public static ModelProto Mlp(int seed = 1, long opset = 13)
    {
        var random = new Random(seed);
        var g = new GraphProto { Name = "mlp" };
        g.Input.Add(FloatInput("input", -1, 784));
        g.Output.Add(FloatInput("probabilities", -1, 10));
        g.Initializer.Add(Weights(random, "fc1.weight", 64, 784));
        g.Initializer.Add(Weights(random, "fc1.bias", 64));
        g.Initializer.Add(Weights(random, "fc2.weight", 64, 32));
        g.Initializer.Add(Weights(random, "fc2.bias", 32));
        g.Initializer.Add(Weights(random, "fc3.weight", 10, 32));
        g.Initializer.Add(Weights(random, "fc3.bias", 10));
        g.Node.Add(Node("Gemm", ["input", "fc1.weight", "fc1.bias"], ["h1"], ("transB", 1)));
        g.Node.Add(Node("Relu", ["h1"], ["a1"]));
        g.Node.Add(Node("MatMul", ["a1", "fc2.weight"], ["h2m"]));
        g.Node.Add(Node("Add", ["h2m", "fc2.bias"], ["h2"]));
        g.Node.Add(Node("Relu", ["h2"], ["a2"]));
        g.Node.Add(Node("Gemm", ["a2", "fc3.weight", "fc3.bias"], ["logits"], ("transB", 1)));
        g.Node.Add(Node("Softmax", ["logits"], ["probabilities"], ("axis", 1)));
        return Model(g, opset);
    }

    /// <summary>1x8x8 input → Conv(16,3x3) → Relu → Conv(32,3x3) → Relu → Flatten → Gemm(10), opset 13.</summary>
    public static ModelProto SmallCnn(int seed = 2, long opset = 13)
    {
        var random = new Random(seed);
        var g = new GraphProto { Name = "cnn" };
        g.Input.Add(FloatInput("input", -1, 1, 8, 8));
        g.Output.Add(FloatInput("logits", -1, 10));
        g.Initializer.Add(Weights(random, "conv1.weight", 16, 1, 3, 3));
        g.Initializer.Add(Weights(random, "conv1.bias", 16));
        g.Initializer.Add(Weights(random, "conv2.weight", 32, 16, 3, 3));
        g.Initializer.Add(Weights(random, "conv2.bias", 32));
        g.Initializer.Add(Weights(random, "fc.weight", 10, 32 * 4 * 4));
        g.Initializer.Add(Weights(random, "fc.bias", 10));
        g.Node.Add(Node("Conv", ["input", "conv1.weight", "conv1.bias"], ["c1"], ("pads", new long[] { 1, 1, 1, 1 })));
        g.Node.Add(Node("Relu", ["c1"], ["r1"]));
        g.Node.Add(Node("Conv", ["r1", "conv2.weight", "conv2.bias"], ["c2"], ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 })));
        g.Node.Add(Node("Relu", ["c2"], ["r2"]));
        g.Node.Add(Node("Flatten", ["r2"], ["flat"], ("axis", 1)));
        g.Node.Add(Node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], ("transB", 1)));
        return Model(g, opset);
    }

    public static ModelProto Model(GraphProto graph, long opset)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "fleetquant-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    /// <summary>Glorot-scaled normal weights, so activations stay in a sensible range.</summary>
    public static TensorProto Weights(Random random, string name, params long[] dims)
    {
        var count = (int)TensorData.ElementCount(dims);
        var fanIn = dims.Length > 1 ? dims.Skip(1).Aggregate(1L, (a, d) => a * d) : dims[0];
        var std = Math.Sqrt(2.0 / fanIn);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(std * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }
        return TensorData.CreateFloat(name, dims, values);
    }

    public static ValueInfoProto FloatInput(string name, params long[] dims)
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

    public static NodeProto Node(string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = outputs[0] + "_" + op };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach (var (name, value) in attributes)
        {
            node.Attribute.Add(value switch
            {
                int i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
                long l => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = l },
                float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
                long[] ints => Ints(name, ints),
                _ => throw new ArgumentException($"attribute type {value.GetType()}"),
            });
        }
        return node;
    }

    private static AttributeProto Ints(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>ResNet18 (opset 8, weights in float_data) from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package.</summary>
    public static string ResNet18Path
    {
        get
        {
            var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var path = Path.Combine(packages, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
            return File.Exists(path) ? path : throw new FileNotFoundException($"ResNet18 not found at {path}; run a restore first");
        }
    }
}
