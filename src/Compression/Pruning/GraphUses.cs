using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Pruning;

/// <summary>One read of a value: a node input, a graph output (<see cref="Node"/> null), or a subgraph's outer-scope read.</summary>
internal readonly record struct ValueUse(NodeProto? Node, int InputIndex, bool FromSubgraph)
{
    public bool IsGraphOutput => Node is null;
}

/// <summary>Who reads each value of one graph, what its initializers are, and the ranks it declares.</summary>
internal sealed class GraphUses
{
    private readonly ILookup<string, ValueUse> _uses;
    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly Dictionary<string, int> _ranks;

    public GraphUses(GraphProto graph)
    {
        Graph = graph;
        var uses = new List<(string Name, ValueUse Use)>();
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i].Length > 0)
                {
                    uses.Add((node.Input[i], new ValueUse(node, i, false)));
                }
            }
            foreach (var sub in node.Attribute.SelectMany(a => a.G is null ? a.Graphs : a.Graphs.Prepend(a.G)))
            {
                foreach (var inner in OnnxGraphs.All(sub).SelectMany(g => g.Node))
                {
                    uses.AddRange(inner.Input.Select(name => (name, new ValueUse(node, -1, true))));
                }
            }
        }
        uses.AddRange(graph.Output.Select(o => (o.Name, new ValueUse(null, -1, false))));
        _uses = uses.ToLookup(u => u.Name, u => u.Use, StringComparer.Ordinal);

        _initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer)
        {
            _initializers.TryAdd(tensor.Name, tensor);
        }

        _ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var info in graph.Input.Concat(graph.ValueInfo))
        {
            if (info.Type?.TensorType?.Shape is { } shape)
            {
                _ranks.TryAdd(info.Name, shape.Dim.Count);
            }
        }
    }

    public GraphProto Graph { get; }

    public IReadOnlyList<ValueUse> UsesOf(string name) => _uses[name].ToList();

    /// <summary>The FLOAT initializer named <paramref name="name"/> when this graph owns it and nothing else reads it.</summary>
    public TensorProto? PrivateFloatInitializer(string name, out string reason)
    {
        reason = "";
        if (!_initializers.TryGetValue(name, out var tensor))
        {
            reason = $"'{name}' is computed, not an initializer";
            return null;
        }
        if (!TensorData.IsFloat(tensor))
        {
            reason = $"'{name}' is {(TensorProto.Types.DataType)tensor.DataType}, not FLOAT";
            return null;
        }
        var readers = _uses[name].Count();
        if (readers != 1)
        {
            reason = $"'{name}' is shared by {readers} readers";
            return null;
        }
        return tensor;
    }

    public bool IsInitializer(string name) => _initializers.ContainsKey(name);

    /// <summary>The rank the graph declares for a value, when it declares one.</summary>
    public int? RankOf(string name) => _ranks.TryGetValue(name, out var rank) ? rank : null;
}
