using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Quantization;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Pipeline;

/// <summary>
/// Turns weights held in <c>Constant</c> nodes (PaddlePaddle and newer PyTorch exports) into initializers, so every
/// step sees them. A Constant whose output name no other graph uses moves to the main graph, where the artifact
/// codes it as a tensor; otherwise it stays in its own graph, so no subgraph name is shadowed.
/// </summary>
internal static class ConstantWeights
{
    public static void Lift(ModelProto model)
    {
        var definitions = OnnxGraphs.All(model)
            .SelectMany(g => g.Input.Select(v => v.Name).Concat(g.Initializer.Select(t => t.Name)).Concat(g.Node.SelectMany(n => n.Output)))
            .GroupBy(name => name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var lifted = false;
        foreach (var graph in OnnxGraphs.All(model).ToList())
        {
            var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            for (var i = graph.Node.Count - 1; i >= 0; i--)
            {
                var node = graph.Node[i];
                if (!IsWeightConstant(node, outputs, out var tensor))
                {
                    continue;
                }
                var initializer = tensor.Clone();
                initializer.Name = node.Output[0];
                var owner = definitions[initializer.Name] == 1 ? model.Graph : graph;
                owner.Initializer.Add(initializer);
                graph.Node.RemoveAt(i);
                lifted = true;
            }
        }
        if (lifted)
        {
            // Before IR 4 every initializer also had to be a graph input.
            RuntimeOpset.Require(model, model.DefaultOpset() ?? RuntimeOpset.PerTensorDequantize, int4: false);
        }
    }

    /// <summary>A default-domain Constant holding a floating-point tensor large enough to be a weight, not a graph output.</summary>
    private static bool IsWeightConstant(NodeProto node, HashSet<string> graphOutputs, out TensorProto tensor)
    {
        tensor = null!;
        if (node.OpType != "Constant" || node.Domain is not ("" or "ai.onnx") || node.Output.Count != 1 || graphOutputs.Contains(node.Output[0]))
        {
            return false;
        }
        var value = node.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
        if (value is null || value.DataLocation != TensorProto.Types.DataLocation.Default
            || (DataType)value.DataType is not (DataType.Float or DataType.Float16 or DataType.Bfloat16 or DataType.Double)
            || TensorData.ElementCount(value) < WeightCatalog.MinCompressibleElements)
        {
            return false;
        }
        tensor = value;
        return true;
    }
}
