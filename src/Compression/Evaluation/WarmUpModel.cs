using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Evaluation;

/// <summary>A one-node model (y = Relu(x), x: float[1,4]) used to initialise ONNX Runtime before measuring.</summary>
internal static class WarmUpModel
{
    public static byte[] Bytes { get; } = Build();

    private static byte[] Build()
    {
        var graph = new GraphProto { Name = "warm-up" };
        graph.Input.Add(Value("x"));
        graph.Output.Add(Value("y"));
        var node = new NodeProto { OpType = "Relu", Name = "relu" };
        node.Input.Add("x");
        node.Output.Add("y");
        graph.Node.Add(node);
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "fleetquant" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxGraphs.DefaultDomain, Version = 13 });
        return OnnxModelFile.Serialize(model);
    }

    private static ValueInfoProto Value(string name)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 1 });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 4 });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
