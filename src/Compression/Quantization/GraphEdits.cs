using FleetQuant.Compression.Onnx;
using AttributeType = FleetQuant.Compression.Onnx.AttributeProto.Types.AttributeType;

namespace FleetQuant.Compression.Quantization;

/// <summary>Small graph surgery shared by the quantization coders.</summary>
internal static class GraphEdits
{
    public static NodeProto Node(string op, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, string domain = "")
    {
        var node = new NodeProto { OpType = op, Name = name, Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }

    public static NodeProto With(this NodeProto node, string attribute, long value)
    {
        node.Attribute.Add(new AttributeProto { Name = attribute, Type = AttributeType.Int, I = value });
        return node;
    }

    /// <summary>Inserts <paramref name="nodes"/> right before <paramref name="consumer"/>, keeping topological order.</summary>
    public static void InsertBefore(GraphProto graph, NodeProto consumer, params NodeProto[] nodes)
    {
        var index = IndexOf(graph, consumer);
        for (var i = 0; i < nodes.Length; i++)
        {
            graph.Node.Insert(index + i, nodes[i]);
        }
    }

    /// <summary>Replaces <paramref name="consumer"/> by <paramref name="nodes"/> at the same position.</summary>
    public static void Replace(GraphProto graph, NodeProto consumer, params NodeProto[] nodes)
    {
        var index = IndexOf(graph, consumer);
        graph.Node.RemoveAt(index);
        for (var i = 0; i < nodes.Length; i++)
        {
            graph.Node.Insert(index + i, nodes[i]);
        }
    }

    /// <summary>Removes an initializer, and its graph-input entry (IR &lt; 4 models list initializers as inputs).</summary>
    public static void RemoveInitializer(GraphProto graph, string name)
    {
        // By position: Remove(item) would compare whole tensors by value.
        for (var i = graph.Initializer.Count - 1; i >= 0; i--)
        {
            if (graph.Initializer[i].Name == name)
            {
                graph.Initializer.RemoveAt(i);
            }
        }
        for (var i = graph.Input.Count - 1; i >= 0; i--)
        {
            if (graph.Input[i].Name == name)
            {
                graph.Input.RemoveAt(i);
            }
        }
    }

    public static long IntAttribute(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    public static float FloatAttribute(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    private static int IndexOf(GraphProto graph, NodeProto node)
    {
        // Messages compare by value; find this very node.
        var index = -1;
        for (var i = 0; i < graph.Node.Count && index < 0; i++)
        {
            index = ReferenceEquals(graph.Node[i], node) ? i : -1;
        }
        return index >= 0 ? index : throw new InvalidOperationException($"node '{node.Name}' is not in graph '{graph.Name}'");
    }
}
