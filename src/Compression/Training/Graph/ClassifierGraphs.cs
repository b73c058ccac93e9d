using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Training.Graph;

/// <summary>
/// Opset-13 ONNX classifiers for the trainer to start from, He-initialised from a seed: an MLP (Gemm + Relu) and a
/// LeNet-5-like CNN for 28×28 grey images. Both end in Softmax(axis 1) giving "probabilities" [batch, classes].
/// </summary>
public static class ClassifierGraphs
{
    public const string InputName = "input";
    public const string OutputName = "probabilities";
    public const long Opset = 13;

    /// <summary>Dense layers of the given widths (e.g. 784, 256, 128, 10) with Relu between them; input [batch, widths[0]].</summary>
    public static ModelProto Mlp(IReadOnlyList<int> widths, int seed, string name = "mlp")
    {
        if (widths.Count < 2 || widths.Any(w => w <= 0))
        {
            throw new ArgumentException("give positive widths for at least an input and an output", nameof(widths));
        }
        var builder = new Builder(name, seed, [widths[0]]);
        var current = InputName;
        for (var l = 1; l < widths.Count; l++)
        {
            current = builder.Dense($"fc{l}", current, widths[l - 1], widths[l], relu: l < widths.Count - 1);
        }
        return builder.Finish(current);
    }

    /// <summary>
    /// LeNet-5 as usually adapted to 28×28: Conv 6@5×5 (pad 2) → Relu → MaxPool 2 → Conv 16@5×5 → Relu → MaxPool 2 →
    /// Flatten → 120 → 84 → classes; input [batch, 1, 28, 28].
    /// </summary>
    public static ModelProto LeNet5(int seed, int classes = 10, string name = "lenet5")
    {
        var builder = new Builder(name, seed, [1, 28, 28]);
        var x = builder.Conv("conv1", InputName, 1, 6, 5, pad: 2);
        x = builder.Node("Relu", "relu1", [x]);
        x = builder.MaxPool("pool1", x, 2);
        x = builder.Conv("conv2", x, 6, 16, 5, pad: 0);
        x = builder.Node("Relu", "relu2", [x]);
        x = builder.MaxPool("pool2", x, 2);
        x = builder.Node("Flatten", "flatten", [x]);
        x = builder.Dense("fc1", x, 16 * 5 * 5, 120, relu: true);
        x = builder.Dense("fc2", x, 120, 84, relu: true);
        x = builder.Dense("fc3", x, 84, classes, relu: false);
        return builder.Finish(x);
    }

    private sealed class Builder
    {
        private readonly GraphProto _graph;
        private readonly Random _random;

        public Builder(string name, int seed, long[] sampleShape)
        {
            _random = new Random(seed);
            _graph = new GraphProto { Name = name };
            _graph.Input.Add(Value(InputName, sampleShape));
        }

        public string Dense(string prefix, string input, int inputs, int outputs, bool relu)
        {
            _graph.Initializer.Add(TensorData.CreateFloat($"{prefix}.weight", [outputs, inputs], He(outputs * inputs, inputs)));
            _graph.Initializer.Add(TensorData.CreateFloat($"{prefix}.bias", [outputs], new float[outputs]));
            var output = Node("Gemm", $"{prefix}.gemm", [input, $"{prefix}.weight", $"{prefix}.bias"], ("transB", 1));
            return relu ? Node("Relu", $"{prefix}.relu", [output]) : output;
        }

        public string Conv(string prefix, string input, int channels, int filters, int kernel, int pad)
        {
            _graph.Initializer.Add(TensorData.CreateFloat($"{prefix}.weight", [filters, channels, kernel, kernel], He(filters * channels * kernel * kernel, channels * kernel * kernel)));
            _graph.Initializer.Add(TensorData.CreateFloat($"{prefix}.bias", [filters], new float[filters]));
            var node = NewNode("Conv", $"{prefix}.conv", [input, $"{prefix}.weight", $"{prefix}.bias"]);
            node.Attribute.Add(Ints("kernel_shape", kernel, kernel));
            node.Attribute.Add(Ints("pads", pad, pad, pad, pad));
            return node.Output[0];
        }

        public string MaxPool(string name, string input, int size)
        {
            var node = NewNode("MaxPool", name, [input]);
            node.Attribute.Add(Ints("kernel_shape", size, size));
            node.Attribute.Add(Ints("strides", size, size));
            return node.Output[0];
        }

        public string Node(string op, string name, string[] inputs, params (string Name, long Value)[] attributes)
        {
            var node = NewNode(op, name, inputs);
            foreach (var (attribute, value) in attributes)
            {
                node.Attribute.Add(new AttributeProto { Name = attribute, Type = AttributeProto.Types.AttributeType.Int, I = value });
            }
            return node.Output[0];
        }

        public ModelProto Finish(string logits)
        {
            var softmax = NewNode("Softmax", "softmax", [logits]);
            softmax.Output[0] = OutputName;
            softmax.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            _graph.Output.Add(Value(OutputName, null));
            var model = new ModelProto { IrVersion = 8, ProducerName = "fleetquant", Graph = _graph };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxGraphs.DefaultDomain, Version = Opset });
            return model;
        }

        private NodeProto NewNode(string op, string name, string[] inputs)
        {
            var node = new NodeProto { OpType = op, Name = name };
            node.Input.AddRange(inputs);
            node.Output.Add($"{name}.out");
            _graph.Node.Add(node);
            return node;
        }

        /// <summary>Normal with standard deviation √(2 / fan-in), for Relu layers.</summary>
        private float[] He(int count, int fanIn)
        {
            var std = Math.Sqrt(2.0 / fanIn);
            var values = new float[count];
            for (var i = 0; i < count; i++)
            {
                var u1 = 1.0 - _random.NextDouble();
                var u2 = _random.NextDouble();
                values[i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
            }
            return values;
        }

        private static AttributeProto Ints(string name, params long[] values)
        {
            var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            attribute.Ints.AddRange(values);
            return attribute;
        }

        /// <summary>A float tensor [batch, sample…]; without a sample shape, only the batch axis is named.</summary>
        private static ValueInfoProto Value(string name, long[]? sampleShape)
        {
            var type = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float };
            if (sampleShape is not null)
            {
                type.Shape = new TensorShapeProto();
                type.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
                foreach (var d in sampleShape)
                {
                    type.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
                }
            }
            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = type } };
        }
    }
}
