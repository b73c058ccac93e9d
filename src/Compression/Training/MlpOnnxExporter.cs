using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Training;

/// <summary>
/// Writes an <see cref="MlpNetwork"/> as an opset-13 ONNX classifier: input "input" [batch, inputs] float,
/// Gemm(transB=1) + Relu per hidden layer, a final Gemm and Softmax(axis=1) giving "probabilities" [batch, classes].
/// Weights go in raw_data; nothing time- or machine-dependent is written, so equal weights give equal bytes.
/// </summary>
public static class MlpOnnxExporter
{
    public const string InputName = "input";
    public const string OutputName = "probabilities";
    public const long Opset = 13;

    public static ModelProto Export(MlpNetwork network, SampleModelInfo info)
    {
        var graph = new GraphProto { Name = info.Name };
        graph.Input.Add(FloatTensor(InputName, network.Inputs));
        graph.Output.Add(FloatTensor(OutputName, network.Classes));

        var current = InputName;
        for (var l = 0; l < network.Layers.Count; l++)
        {
            var layer = network.Layers[l];
            var prefix = $"fc{l + 1}";
            graph.Initializer.Add(TensorData.CreateFloat($"{prefix}.weight", [layer.Outputs, layer.Inputs], layer.Weights));
            graph.Initializer.Add(TensorData.CreateFloat($"{prefix}.bias", [layer.Outputs], layer.Bias));

            var last = l == network.Layers.Count - 1;
            var gemmOutput = last ? "logits" : $"{prefix}.out";
            var gemm = Node("Gemm", $"{prefix}.gemm", [current, $"{prefix}.weight", $"{prefix}.bias"], gemmOutput);
            gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            graph.Node.Add(gemm);
            if (last)
            {
                var softmax = Node("Softmax", "softmax", [gemmOutput], OutputName);
                softmax.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
                graph.Node.Add(softmax);
            }
            else
            {
                current = $"{prefix}.relu";
                graph.Node.Add(Node("Relu", current, [gemmOutput], current));
            }
        }

        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "fleetquant",
            ProducerVersion = "train-sample",
            ModelVersion = info.Version,
            DocString = info.Description,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxGraphs.DefaultDomain, Version = Opset });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "model_name", Value = info.Name });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "version", Value = info.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "preprocessing", Value = info.Preprocessing });
        if (info.Labels.Count > 0)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = "labels", Value = string.Join(",", info.Labels) });
        }
        return model;
    }

    private static NodeProto Node(string op, string name, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static ValueInfoProto FloatTensor(string name, long width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = shape } },
        };
    }
}
