using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.TestSupport;

/// <summary>Small ONNX models built in code with seeded random weights, for tests that need a known graph.</summary>
public static class TestModels
{
    /// <summary>Inputs of <see cref="TinyMlp"/>.</summary>
    public const int TinyInputs = 64;

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

    /// <summary>
    /// A 64 → 96 → 10 softmax MLP, serialized, small enough that a server-side ladder takes seconds; a non-zero
    /// <paramref name="retrain"/> nudges only the output bias, like a small fine-tune.
    /// </summary>
    public static byte[] TinyMlp(int seed, int retrain = 0)
    {
        const int hidden = 96;
        const int classes = 10;
        var random = new Random(seed);
        var g = new GraphProto { Name = "tiny-mlp" };
        g.Input.Add(FloatInput("input", -1, TinyInputs));
        g.Output.Add(FloatInput("probabilities", -1, classes));
        g.Initializer.Add(UniformWeights(random, "fc1.weight", hidden, TinyInputs));
        g.Initializer.Add(UniformWeights(random, "fc1.bias", hidden));
        g.Initializer.Add(UniformWeights(random, "fc2.weight", classes, hidden));
        var outputBias = UniformWeights(random, "fc2.bias", classes);
        if (retrain != 0)
        {
            var nudge = new Random(retrain);
            outputBias = TensorData.CreateFloat("fc2.bias", [classes], Enumerable.Range(0, classes).Select(_ => (float)(nudge.NextDouble() * 0.2)).ToArray());
        }
        g.Initializer.Add(outputBias);
        g.Node.Add(Node("Gemm", ["input", "fc1.weight", "fc1.bias"], ["h1"], ("transB", 1)));
        g.Node.Add(Node("Relu", ["h1"], ["a1"]));
        g.Node.Add(Node("Gemm", ["a1", "fc2.weight", "fc2.bias"], ["logits"], ("transB", 1)));
        g.Node.Add(Node("Softmax", ["logits"], ["probabilities"], ("axis", 1)));
        return OnnxModelFile.Serialize(Model(g, 13));
    }

    /// <summary>Unlabelled inputs for <see cref="TinyMlp"/> as a <c>.npy</c> file: float32 [samples, <see cref="TinyInputs"/>] in [-1, 1).</summary>
    public static byte[] TinyEvalSet(int samples, int seed)
    {
        var random = new Random(seed);
        var data = new float[samples * TinyInputs];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return NpyFiles.Floats([samples, TinyInputs], data);
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

    /// <summary>
    /// Shaped like a voice-activity detector with recurrent state: <c>input</c> float [batch, sequence], <c>sr</c> int64
    /// scalar, <c>state</c> float [2, batch, 16]; outputs <c>output</c> [batch, 1] (a sigmoid score scaled by sr / 16000)
    /// and <c>stateN</c> [2, batch, 16] = tanh(state · W).
    /// </summary>
    public static ModelProto Stateful(int seed = 3)
    {
        var random = new Random(seed);
        var graph = new GraphProto { Name = "stateful" };
        graph.Input.Add(Input("input", DataType.Float, "batch", "sequence"));
        graph.Input.Add(Input("sr", DataType.Int64));
        graph.Input.Add(Input("state", DataType.Float, 2L, "batch", 16L));
        graph.Output.Add(Input("output", DataType.Float, "batch", 1L));
        graph.Output.Add(Input("stateN", DataType.Float, 2L, "batch", 16L));
        graph.Initializer.Add(Weights(random, "state.weight", 16, 16));
        graph.Initializer.Add(TensorData.CreateFloat("sr.base", [], [16000f]));
        graph.Node.Add(Node("Cast", ["sr"], ["sr_f"], ("to", (long)DataType.Float)));
        graph.Node.Add(Node("Div", ["sr_f", "sr.base"], ["scale"]));
        graph.Node.Add(Node("ReduceMean", ["input"], ["mean"], ("axes", new long[] { 1 }), ("keepdims", 1L)));
        graph.Node.Add(Node("Mul", ["mean", "scale"], ["scaled"]));
        graph.Node.Add(Node("Sigmoid", ["scaled"], ["output"]));
        graph.Node.Add(Node("MatMul", ["state", "state.weight"], ["mixed"]));
        graph.Node.Add(Node("Tanh", ["mixed"], ["stateN"]));
        return Model(graph, 13);
    }

    /// <summary>A tensor input or output; each dimension a size (long) or a symbol (string).</summary>
    public static ValueInfoProto Input(string name, DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
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

    /// <summary>Uniform weights in ±1.7·√(2 / fan-in): the tiny MLP's initialisation, which its tests' accuracies were tuned on.</summary>
    private static TensorProto UniformWeights(Random random, string name, params long[] dims)
    {
        var count = (int)TensorData.ElementCount(dims);
        var scale = Math.Sqrt(2.0 / (dims.Length > 1 ? dims[1] : dims[0]));
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale * 1.7);
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
}
