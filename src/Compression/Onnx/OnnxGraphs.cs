namespace FleetQuant.Compression.Onnx;

/// <summary>Walks a model's main graph and every subgraph (If/Loop/Scan bodies) and its opset imports.</summary>
public static class OnnxGraphs
{
    public const string DefaultDomain = "";
    public const string MicrosoftDomain = "com.microsoft";

    public static IEnumerable<GraphProto> All(ModelProto model) => All(model.Graph);

    public static IEnumerable<GraphProto> All(GraphProto root)
    {
        var pending = new Stack<GraphProto>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var graph = pending.Pop();
            yield return graph;
            foreach (var sub in Subgraphs(graph))
            {
                pending.Push(sub);
            }
        }
    }

    public static IEnumerable<GraphProto> Subgraphs(GraphProto graph) =>
        graph.Node.SelectMany(n => n.Attribute).SelectMany(a => a.G is null ? a.Graphs : a.Graphs.Prepend(a.G));

    public static IEnumerable<TensorProto> AllTensors(ModelProto model) =>
        All(model).SelectMany(g => g.Initializer.Concat(g.Node.SelectMany(n => n.Attribute).SelectMany(a => a.T is null ? a.Tensors : a.Tensors.Prepend(a.T))));

    public static int MaxNesting(GraphProto graph)
    {
        var deepest = 1;
        var pending = new Stack<(GraphProto Graph, int Depth)>();
        pending.Push((graph, 1));
        while (pending.Count > 0)
        {
            var (g, depth) = pending.Pop();
            deepest = Math.Max(deepest, depth);
            if (depth > 1000)
            {
                break;
            }
            foreach (var sub in Subgraphs(g))
            {
                pending.Push((sub, depth + 1));
            }
        }
        return deepest;
    }

    /// <summary>The opset of the default ONNX domain, or null when the model does not import it.</summary>
    public static long? DefaultOpset(this ModelProto model) => model.Opset(DefaultDomain);

    public static long? Opset(this ModelProto model, string domain) =>
        model.OpsetImport.FirstOrDefault(o => o.Domain == domain || (domain == DefaultDomain && o.Domain == "ai.onnx"))?.Version;

    /// <summary>Imports <paramref name="domain"/> at <paramref name="version"/> unless it is already imported.</summary>
    public static void EnsureOpset(this ModelProto model, string domain, long version)
    {
        if (model.Opset(domain) is null)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        }
    }
}
