using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Pipeline;

/// <summary>How a weight feeds its layer, which fixes the axis its per-channel scales run along.</summary>
public enum WeightRole
{
    /// <summary>Conv W [M, C/group, k...]: output channels on axis 0 (depthwise and grouped alike).</summary>
    ConvWeight,

    /// <summary>Gemm B with transB=0 or MatMul B: [K, N], output channels on axis 1.</summary>
    MatMulWeight,

    /// <summary>Gemm B with transB=1: [N, K], output channels on axis 0.</summary>
    GemmTransposedWeight,

    /// <summary>
    /// ConvTranspose W [C_in, C_out/group, k...]. Its output channels are on axis 1 and not contiguous, so scales run
    /// per input channel (axis 0): each row is then contiguous, and a scale per row is as exact as per output channel.
    /// </summary>
    ConvTransposeWeight,

    /// <summary>LSTM / GRU / RNN W or R [directions, gates·hidden, width]: one scale per (direction, gate row).</summary>
    RecurrentWeight,

    /// <summary>
    /// A weight of rank ≥ 2 read as data by operators with no quantized path (Slice, Add, Concat…): it is dequantized
    /// once at load, and its float result feeds every reader. Scales run along axis 0 (one per row, or one for all when
    /// axis 0 has a single entry).
    /// </summary>
    Operand,
}

/// <summary>
/// A FLOAT initializer that is the weight input of Conv, ConvTranspose, Gemm, MatMul, LSTM, GRU or RNN nodes, or
/// (<see cref="WeightRole.Operand"/>) a FLOAT tensor that other operators read as data.
/// <see cref="Graph"/> owns the initializer; <see cref="ConsumerGraph"/> holds its readers, which is a subgraph
/// (an If / Loop / Scan body) when the weight is read from an outer scope. A shared weight has several readers,
/// all of the same role, in the one consumer graph; <see cref="Consumer"/> is the first of them in node order.
/// <see cref="InputIndex"/> is where the first consumer reads it (an operand may be read at other indices too).
/// </summary>
public sealed record WeightRef(GraphProto Graph, TensorProto Tensor, GraphProto ConsumerGraph, IReadOnlyList<NodeProto> Consumers, int InputIndex, WeightRole Role)
{
    public string Name => Tensor.Name;

    public NodeProto Consumer => Consumers[0];

    /// <summary>
    /// For an operand read from several graphs: the node of <see cref="ConsumerGraph"/> (then the owner graph) that
    /// holds the first read, directly or in its subgraphs. Null when every reader sits in <see cref="ConsumerGraph"/>.
    /// </summary>
    public NodeProto? Anchor { get; init; }

    /// <summary>The node in <see cref="ConsumerGraph"/> before which the nodes that rebuild the weight go.</summary>
    public NodeProto InsertionPoint => Anchor ?? Consumer;

    /// <summary>The axis whose entries get one scale each (see <see cref="WeightRole"/>).</summary>
    public int OutputAxis => Role switch
    {
        WeightRole.MatMulWeight => 1,
        _ => 0,
    };

    /// <summary>How many per-channel scales the weight has: one per contiguous row, except MatMul B (one per column).</summary>
    public long OutputChannels => Role == WeightRole.RecurrentWeight ? Tensor.Dims[0] * Tensor.Dims[1] : Tensor.Dims[OutputAxis];

    /// <summary>True when per-channel scales need the weight seen as 2-D [channels, rest] (reshaped back after dequantizing).</summary>
    public bool ChannelsSpanAxes => Role == WeightRole.RecurrentWeight;

    /// <summary>A shape that broadcasts one value per channel against the weight.</summary>
    public long[] PerChannelShape()
    {
        var shape = Enumerable.Repeat(1L, Tensor.Dims.Count).ToArray();
        shape[OutputAxis] = Tensor.Dims[OutputAxis];
        if (ChannelsSpanAxes)
        {
            shape[1] = Tensor.Dims[1];
        }
        return shape;
    }
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

    /// <summary>How the note of an integer tensor ends.</summary>
    public const string IntegerTensorReason = "tensor (shapes, indices and integers stay exact)";

    /// <summary>How the note of a bias starts.</summary>
    public const string BiasReason = "bias of ";

    /// <summary>How the note of a 1-D tensor with no dedicated path starts (biases of recurrent gates a Slice cuts out).</summary>
    public const string VectorReason = "1-D tensor";

    /// <summary>One read: the reading node (null for a graph output) in its graph, and the node of the searched graph that holds it.</summary>
    private readonly record struct Use(GraphProto Graph, NodeProto? Node, int Index, NodeProto? Outer);

    /// <summary>
    /// Whether a kept-exact note is about a weight a step could have coded (its reason is worth showing), not about a
    /// bias, a small tensor or an integer tensor that no recipe compresses.
    /// </summary>
    public static bool IsWeightLeftExact(TensorNote note) =>
        note.Action == TensorAction.KeptExact
        && !note.Detail.StartsWith(SmallTensorReason, StringComparison.Ordinal)
        && !note.Detail.StartsWith(BiasReason, StringComparison.Ordinal)
        && !note.Detail.StartsWith(VectorReason, StringComparison.Ordinal)
        && !note.Detail.EndsWith(IntegerTensorReason, StringComparison.Ordinal);

    public static (IReadOnlyList<WeightRef> Weights, IReadOnlyList<TensorNote> LeftAlone) Find(ModelProto model)
    {
        var weights = new List<WeightRef>();
        var notes = new List<TensorNote>();
        foreach (var graph in OnnxGraphs.All(model))
        {
            var consumers = ConsumersByInput(graph);
            var inputs = graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var tensor in graph.Initializer)
            {
                WeightRef? weight = null;
                // From IR 4 a listed initializer is a deliberate default that callers may override by feeding it.
                var reason = inputs.Contains(tensor.Name) && model.IrVersion >= 4
                    ? "also a graph input: a caller may feed its own value, so it stays as it is"
                    : Classify(tensor, consumers, graph, out weight);
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

    /// <summary>The role a weight plays as input <paramref name="index"/> of <paramref name="node"/>, if it has a dedicated compressed path.</summary>
    private static WeightRole? RoleOf(NodeProto node, int index, int rank) => (node.OpType, node.Domain, index, rank) switch
    {
        ("Conv", "" or "ai.onnx", 1, >= 3) => WeightRole.ConvWeight,
        ("ConvTranspose", "" or "ai.onnx", 1, >= 3) => WeightRole.ConvTransposeWeight,
        ("MatMul", "" or "ai.onnx", 1, 2) => WeightRole.MatMulWeight,
        ("Gemm", "" or "ai.onnx", 1, 2) => IsTransposedB(node) ? WeightRole.GemmTransposedWeight : WeightRole.MatMulWeight,
        ("LSTM" or "GRU" or "RNN", "" or "ai.onnx", 1 or 2, 3) => WeightRole.RecurrentWeight,
        _ => null,
    };

    private static string Classify(TensorProto tensor, ILookup<string, Use> consumers, GraphProto graph, out WeightRef? weight)
    {
        weight = null;
        if (!TensorData.IsFloat(tensor))
        {
            return (DataType)tensor.DataType is DataType.Float16 or DataType.Bfloat16 or DataType.Double
                ? $"{(DataType)tensor.DataType} weight: the coders read and write FP32 weights, so it stays in its own type"
                : $"{(DataType)tensor.DataType} {IntegerTensorReason}";
        }

        if (TensorData.ElementCount(tensor) < MinCompressibleElements)
        {
            return $"{SmallTensorReason} ({TensorData.ElementCount(tensor)} values, e.g. a bias)";
        }

        var uses = consumers[tensor.Name].ToList();
        if (uses.Count == 0)
        {
            return "not used by any node";
        }
        if (uses.Any(u => u.Node is null))
        {
            return "a graph output";
        }

        var (first, index) = (uses[0].Node!, uses[0].Index);
        var role = RoleOf(first, index, tensor.Dims.Count);
        var sameGraph = uses.All(u => ReferenceEquals(u.Graph, uses[0].Graph));
        if (role is not null && sameGraph && uses.All(u => u.Index == index && RoleOf(u.Node!, u.Index, tensor.Dims.Count) == role))
        {
            weight = new WeightRef(graph, tensor, uses[0].Graph, uses.Select(u => u.Node!).ToList(), index, role.Value);
            return "";
        }
        if (uses.FirstOrDefault(u => IsBias(u.Node!, u.Index)) is { Node: not null } bias)
        {
            return $"{BiasReason}{Describe(bias.Node)} (biases stay exact: few values, and errors in them shift every output)";
        }
        if (uses.FirstOrDefault(u => u.Node!.Domain is not ("" or "ai.onnx")) is { Node: not null } custom)
        {
            return $"input {custom.Index} of {Describe(custom.Node)} (no quantized path, and an operator outside ONNX may read it as shape or index data)";
        }
        if (uses.FirstOrDefault(u => ShapeInputs.ReadsAsShapeOrIndex(u.Node!, u.Index)) is { Node: not null } shape)
        {
            return $"input {shape.Index} of {Describe(shape.Node)}, read as shape or index data (kept exact even as FLOAT)";
        }
        if (tensor.Dims.Count < 2)
        {
            return $"{VectorReason} of {TensorData.ElementCount(tensor)} values read by {Describe(first)} (vectors stay exact like biases: errors in them shift every output)";
        }

        // No dedicated path, but every reader takes floats: store codes and dequantize once at load. Readers in
        // different graphs (If branches) share one dequantization in the owner graph, before the node that reads first.
        weight = sameGraph
            ? new WeightRef(graph, tensor, uses[0].Graph, uses.Select(u => u.Node!).ToList(), index, WeightRole.Operand)
            : new WeightRef(graph, tensor, graph, uses.Select(u => u.Node!).ToList(), index, WeightRole.Operand) { Anchor = uses[0].Outer };
        return "";
    }

    private static bool IsBias(NodeProto node, int index) => (node.OpType, index) is
        ("Conv" or "ConvTranspose" or "Gemm", 2) or ("LSTM" or "GRU" or "RNN", 3);

    private static string Describe(NodeProto node) => node.Domain is "" or "ai.onnx" ? node.OpType : $"{node.Domain}.{node.OpType}";

    private static bool IsTransposedB(NodeProto gemm) => gemm.Attribute.Any(a => a.Name == "transB" && a.I != 0);

    /// <summary>
    /// Every read of each name of <paramref name="graph"/>, in node order, including reads from nested subgraphs
    /// that do not define the name themselves; a graph output is a use with a null node.
    /// </summary>
    private static ILookup<string, Use> ConsumersByInput(GraphProto graph)
    {
        var uses = new List<(string Name, Use Use)>();
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                uses.Add((node.Input[i], new Use(graph, node, i, node)));
            }
            foreach (var sub in node.Attribute.SelectMany(a => a.G is null ? a.Graphs : a.Graphs.Prepend(a.G)))
            {
                foreach (var inner in OnnxGraphs.All(sub))
                {
                    var own = inner.Input.Select(v => v.Name).Concat(inner.Initializer.Select(t => t.Name)).Concat(inner.Node.SelectMany(n => n.Output)).ToHashSet(StringComparer.Ordinal);
                    foreach (var innerNode in inner.Node)
                    {
                        uses.AddRange(innerNode.Input.Select((name, i) => (name, new Use(inner, innerNode, i, node))).Where(u => !own.Contains(u.name)));
                    }
                    uses.AddRange(inner.Output.Where(o => !own.Contains(o.Name)).Select(o => (o.Name, new Use(inner, null, 0, node))));
                }
            }
        }
        foreach (var output in graph.Output)
        {
            uses.Add((output.Name, new Use(graph, null, 0, null)));
        }
        return uses.ToLookup(u => u.Name, u => u.Use, StringComparer.Ordinal);
    }
}
