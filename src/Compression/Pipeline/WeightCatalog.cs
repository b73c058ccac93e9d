using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Pipeline;

/// <summary>How a weight feeds its layer, which fixes its output-channel axis.</summary>
public enum WeightRole
{
    /// <summary>Conv W [M, C/group, k...]: output channels on axis 0.</summary>
    ConvWeight,

    /// <summary>Gemm B with transB=0 or MatMul B: [K, N], output channels on axis 1.</summary>
    MatMulWeight,

    /// <summary>Gemm B with transB=1: [N, K], output channels on axis 0.</summary>
    GemmTransposedWeight,
}

/// <summary>A FLOAT initializer that is the weight input of exactly one Conv, Gemm or MatMul node.</summary>
public sealed record WeightRef(GraphProto Graph, TensorProto Tensor, NodeProto Consumer, int InputIndex, WeightRole Role)
{
    public string Name => Tensor.Name;

    public int OutputAxis => Role == WeightRole.MatMulWeight ? 1 : 0;

    public long OutputChannels => Tensor.Dims[OutputAxis];
}

/// <summary>
/// Finds the compressible weights of a model in every graph, and says why the other initializers are left alone.
/// </summary>
public static class WeightCatalog
{
    /// <summary>Tensors smaller than this stay exact: their bytes do not matter and biases are sensitive.</summary>
    public const long MinCompressibleElements = 256;

    /// <summary>How the note of a tensor below <see cref="MinCompressibleElements"/> starts.</summary>
    public const string SmallTensorReason = "small tensor";

    /// <summary>How the note of a non-float tensor ends.</summary>
    public const string IntegerTensorReason = "tensor (shapes, indices and integers stay exact)";

    public static (IReadOnlyList<WeightRef> Weights, IReadOnlyList<TensorNote> LeftAlone) Find(ModelProto model)
    {
        var weights = new List<WeightRef>();
        var notes = new List<TensorNote>();
        foreach (var graph in OnnxGraphs.All(model))
        {
            var consumers = ConsumersByInput(graph);
            foreach (var tensor in graph.Initializer)
            {
                var reason = Classify(tensor, consumers, graph, out var weight);
                if (weight is not null)
                {
                    weights.Add(weight);
                }
                else
                {
                    notes.Add(new TensorNote(tensor.Name, TensorAction.KeptExact, reason));
                }
            }
        }
        return (weights, notes);
    }

    private static string Classify(TensorProto tensor, ILookup<string, (NodeProto Node, int Index)> consumers, GraphProto graph, out WeightRef? weight)
    {
        weight = null;
        if (!TensorData.IsFloat(tensor))
        {
            return $"{(TensorProto.Types.DataType)tensor.DataType} {IntegerTensorReason}";
        }

        if (TensorData.ElementCount(tensor) < MinCompressibleElements)
        {
            return $"{SmallTensorReason} ({TensorData.ElementCount(tensor)} values, e.g. a bias)";
        }

        var uses = consumers[tensor.Name].ToList();
        if (uses.Count != 1)
        {
            return uses.Count == 0 ? "not used by any node" : $"shared by {uses.Count} nodes";
        }

        var (node, index) = uses[0];
        var role = (node.OpType, node.Domain, index, tensor.Dims.Count) switch
        {
            ("Conv", "" or "ai.onnx", 1, >= 3) => WeightRole.ConvWeight,
            ("MatMul", "" or "ai.onnx", 1, 2) => WeightRole.MatMulWeight,
            ("Gemm", "" or "ai.onnx", 1, 2) => IsTransposedB(node) ? WeightRole.GemmTransposedWeight : WeightRole.MatMulWeight,
            _ => (WeightRole?)null,
        };

        if (role is null)
        {
            return $"input {index} of {node.OpType} (no quantized path)";
        }

        weight = new WeightRef(graph, tensor, node, index, role.Value);
        return "";
    }

    private static bool IsTransposedB(NodeProto gemm) => gemm.Attribute.Any(a => a.Name == "transB" && a.I != 0);

    private static ILookup<string, (NodeProto Node, int Index)> ConsumersByInput(GraphProto graph)
    {
        // A subgraph may read an outer initializer by name; count those uses too so shared tensors stay exact.
        var uses = new List<(string Name, NodeProto Node, int Index)>();
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                uses.Add((node.Input[i], node, i));
            }
            foreach (var sub in node.Attribute.SelectMany(a => a.G is null ? a.Graphs : a.Graphs.Prepend(a.G)))
            {
                foreach (var inner in OnnxGraphs.All(sub).SelectMany(g => g.Node))
                {
                    uses.AddRange(inner.Input.Select((name, i) => (name, inner, -1 - i)));
                }
            }
        }
        foreach (var output in graph.Output)
        {
            uses.Add((output.Name, new NodeProto { OpType = "graph output" }, 0));
        }
        return uses.ToLookup(u => u.Name, u => (u.Node, u.Index));
    }
}
