using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Quantization;

/// <summary>
/// Hands out tensor and node names that no graph of the model uses yet. Names are model-wide because a
/// subgraph can read any outer name, so a clash in any graph could shadow or be shadowed.
/// </summary>
internal sealed class ModelNames
{
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

    public ModelNames(ModelProto model)
    {
        foreach (var graph in OnnxGraphs.All(model))
        {
            _taken.UnionWith(graph.Input.Select(v => v.Name));
            _taken.UnionWith(graph.Output.Select(v => v.Name));
            _taken.UnionWith(graph.ValueInfo.Select(v => v.Name));
            _taken.UnionWith(graph.Initializer.Select(t => t.Name));
            foreach (var node in graph.Node)
            {
                _taken.UnionWith(node.Output);
                _taken.Add(node.Name);
            }
        }
    }

    /// <summary>Returns <paramref name="preferred"/>, or it with the smallest numeric suffix that is still free.</summary>
    public string Claim(string preferred)
    {
        var name = preferred;
        for (var i = 1; !_taken.Add(name); i++)
        {
            name = $"{preferred}_{i}";
        }
        return name;
    }
}
