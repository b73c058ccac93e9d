using FleetQuant.Compression.Quantization;
using AttributeType = FleetQuant.Compression.Onnx.AttributeProto.Types.AttributeType;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Onnx;

/// <summary>
/// Raises a model's default-domain opset. Ops whose semantics did not change (or only gained attributes or
/// optional inputs whose defaults keep the old behaviour) are kept as they are; ops whose attributes became
/// inputs are rewritten; ops whose meaning changed in a way that cannot be expressed are rejected with an
/// <see cref="OnnxModelException"/> naming the op and the opset that changed it. The model is checked in full
/// before anything is rewritten, so a rejected upgrade leaves it untouched.
/// </summary>
public static class OpsetUpgrader
{
    /// <summary>The newest default-domain opset this upgrader knows the changes up to.</summary>
    public const long MaxSupportedOpset = 21;

    /// <summary>Ops whose semantics stay the same from opset 7 up to <see cref="MaxSupportedOpset"/> for inference.</summary>
    private static readonly HashSet<string> Unchanged = new(StringComparer.Ordinal)
    {
        "Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh", "AveragePool",
        "BitShift", "Cast", "Ceil", "Celu", "Compress", "Concat", "Constant", "ConstantOfShape", "Conv", "ConvInteger",
        "ConvTranspose", "Cos", "Cosh", "CumSum", "DepthToSpace", "DequantizeLinear", "Det", "Div", "DynamicQuantizeLinear",
        "Einsum", "Elu", "Equal", "Erf", "Exp", "Expand", "EyeLike", "Flatten", "Floor", "GRU", "Gather", "GatherElements",
        "GatherND", "Gemm", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "Greater", "GreaterOrEqual",
        "HardSigmoid", "HardSwish", "Identity", "If", "InstanceNormalization", "IsInf", "IsNaN", "LRN", "LSTM",
        "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log", "Loop", "LpNormalization", "LpPool", "MatMul",
        "MatMulInteger", "Max", "MaxPool", "MaxRoiPool", "MaxUnpool", "Mean", "MeanVarianceNormalization", "Min", "Mish",
        "Mod", "Mul", "Multinomial", "Neg", "NonMaxSuppression", "NonZero", "Not", "OneHot", "Or", "PRelu", "Pow",
        "QLinearConv", "QLinearMatMul", "QuantizeLinear", "RNN", "RandomNormal", "RandomNormalLike", "RandomUniform",
        "RandomUniformLike", "Range", "Reciprocal", "Relu", "Reshape", "ReverseSequence", "RoiAlign", "Round",
        "ScatterElements", "ScatterND", "Selu", "Shape", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Size", "Softplus",
        "Softsign", "SpaceToDepth", "Sqrt", "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu", "Tile", "Transpose", "Trilu",
        "Unique", "Where", "Xor", "Gelu", "Dropout", "BatchNormalization",
    };

    /// <summary>Ops whose meaning changed at the given opset in a way this upgrader does not rewrite.</summary>
    private static readonly Dictionary<string, long> ChangedMeaning = new(StringComparer.Ordinal)
    {
        ["Upsample"] = 10,
        ["Resize"] = 11,
        ["Scan"] = 9,
        ["Scatter"] = 11,
        ["GridSample"] = 20,
        ["GroupNormalization"] = 21,
        ["DFT"] = 20,
        ["ImageScaler"] = 10,
        ["Crop"] = 10,
    };

    /// <summary>Reduce ops and the opset at which their <c>axes</c> attribute became an input.</summary>
    private static readonly Dictionary<string, long> ReduceAxesToInput = new(StringComparer.Ordinal)
    {
        ["ReduceSum"] = 13,
        ["ReduceMean"] = 18,
        ["ReduceMax"] = 18,
        ["ReduceMin"] = 18,
        ["ReduceProd"] = 18,
        ["ReduceL1"] = 18,
        ["ReduceL2"] = 18,
        ["ReduceLogSum"] = 18,
        ["ReduceLogSumExp"] = 18,
        ["ReduceSumSquare"] = 18,
    };

    /// <summary>Raises the default-domain opset to <paramref name="targetOpset"/>; a model already there is left alone.</summary>
    public static void Upgrade(ModelProto model, long targetOpset)
    {
        if (targetOpset > MaxSupportedOpset)
        {
            throw new OnnxModelException($"cannot upgrade to opset {targetOpset}: FleetQuant knows operator changes up to opset {MaxSupportedOpset}");
        }

        var current = model.DefaultOpset() ?? throw new OnnxModelException("the model does not import the default ONNX domain");
        if (current >= targetOpset)
        {
            return;
        }

        var nodes = OnnxGraphs.All(model)
            .SelectMany(g => g.Node.Where(IsDefaultDomain).Select(n => (Graph: g, Node: n)))
            .ToList();
        var problems = nodes.Select(x => Check(x.Graph, x.Node, current, targetOpset)).OfType<string>().Distinct().ToList();
        if (problems.Count > 0)
        {
            throw new OnnxModelException($"cannot upgrade the model from opset {current} to {targetOpset}: {string.Join("; ", problems)}");
        }

        var names = new ModelNames(model);
        foreach (var (graph, node) in nodes)
        {
            Rewrite(graph, node, current, targetOpset, names);
        }

        foreach (var import in model.OpsetImport.Where(o => o.Domain is OnnxGraphs.DefaultDomain or "ai.onnx"))
        {
            import.Version = targetOpset;
        }
        model.IrVersion = Math.Max(model.IrVersion, MinIrVersion(targetOpset));
    }

    /// <summary>The oldest IR version that may carry <paramref name="opset"/> (from the ONNX versioning table).</summary>
    public static long MinIrVersion(long opset) => opset switch
    {
        >= 21 => 10,
        >= 19 => 9,
        >= 15 => 8,
        >= 13 => 7,
        >= 11 => 6,
        >= 10 => 5,
        >= 9 => 4,
        _ => 3,
    };

    private static bool IsDefaultDomain(NodeProto node) => node.Domain is OnnxGraphs.DefaultDomain or "ai.onnx";

    private static bool Crosses(long from, long to, long changedAt) => from < changedAt && to >= changedAt;

    /// <summary>Why <paramref name="node"/> cannot be upgraded, or null when it can.</summary>
    private static string? Check(GraphProto graph, NodeProto node, long from, long to)
    {
        var op = node.OpType;
        if (ChangedMeaning.TryGetValue(op, out var changedAt))
        {
            return Crosses(from, to, changedAt) ? $"{op} ('{node.Name}') changed meaning in opset {changedAt}" : null;
        }

        switch (op)
        {
            case "Dropout" when node.Output.Skip(1).Any(o => o.Length > 0 && IsConsumed(graph, o)):
                return $"Dropout ('{node.Name}') mask output is used; only inference Dropout can be upgraded";
            case "BatchNormalization" when node.Output.Skip(1).Any(o => o.Length > 0):
                return $"BatchNormalization ('{node.Name}') has training outputs; only inference BatchNormalization can be upgraded";
            case "BatchNormalization" when Int(node, "spatial", 1) != 1 && Crosses(from, to, 9):
                return $"BatchNormalization ('{node.Name}') with spatial=0 has no equivalent from opset 9";
        }

        var known = Unchanged.Contains(op) || ReduceAxesToInput.ContainsKey(op)
            || op is "Squeeze" or "Unsqueeze" or "Clip" or "Pad" or "Slice" or "TopK" or "Split" or "Softmax" or "LogSoftmax" or "Hardmax";
        return known ? null : $"{op} ('{node.Name}') has no upgrade rule";
    }

    private static void Rewrite(GraphProto graph, NodeProto node, long from, long to, ModelNames names)
    {
        var op = node.OpType;
        if (ReduceAxesToInput.TryGetValue(op, out var reduceAt))
        {
            if (Crosses(from, to, reduceAt))
            {
                MoveIntsToInput(graph, node, "axes", 1, names);
            }
            return;
        }

        switch (op)
        {
            case "Squeeze" or "Unsqueeze" when Crosses(from, to, 13):
                MoveIntsToInput(graph, node, "axes", 1, names);
                break;
            case "Split" when Crosses(from, to, 13):
                MoveIntsToInput(graph, node, "split", 1, names);
                if (to >= 18 && node.Input.Count < 2)
                {
                    // Split-18 needs either the split input or num_outputs; without both the split was even.
                    node.Attribute.Add(new AttributeProto { Name = "num_outputs", Type = AttributeType.Int, I = node.Output.Count });
                }
                break;
            case "Split" when to >= 18 && from >= 13 && node.Input.Count < 2 && node.Attribute.All(a => a.Name != "num_outputs"):
                node.Attribute.Add(new AttributeProto { Name = "num_outputs", Type = AttributeType.Int, I = node.Output.Count });
                break;
            case "Slice" when Crosses(from, to, 10):
                var starts = Ints(node, "starts");
                var ends = Ints(node, "ends");
                var axes = Ints(node, "axes");
                RemoveAttributes(node, "starts", "ends", "axes");
                AddInt64Input(graph, node, 1, starts ?? [], names, "starts");
                AddInt64Input(graph, node, 2, ends ?? [], names, "ends");
                if (axes is not null)
                {
                    AddInt64Input(graph, node, 3, axes, names, "axes");
                }
                break;
            case "TopK" when Crosses(from, to, 10):
                var k = Int(node, "k", 1);
                RemoveAttributes(node, "k");
                AddInt64Input(graph, node, 1, [k], names, "k", scalarShape: [1]);
                break;
            case "Clip" when Crosses(from, to, 11):
                var min = Float(node, "min");
                var max = Float(node, "max");
                RemoveAttributes(node, "min", "max");
                if (min is not null || max is not null)
                {
                    AddFloatInput(graph, node, 1, min ?? float.MinValue, names, "min");
                    AddFloatInput(graph, node, 2, max ?? float.MaxValue, names, "max");
                }
                break;
            case "Pad" when Crosses(from, to, 11):
                var pads = Ints(node, "pads") ?? [];
                var value = Float(node, "value");
                RemoveAttributes(node, "pads", "value");
                AddInt64Input(graph, node, 1, pads, names, "pads");
                if (value is not null)
                {
                    AddFloatInput(graph, node, 2, value.Value, names, "value");
                }
                break;
            case "Softmax" or "LogSoftmax" or "Hardmax" when Crosses(from, to, 13):
                if (!IsLastAxis(graph, node))
                {
                    CoerceTo2D(graph, node, names);
                }
                RemoveAttributes(node, "axis");
                node.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeType.Int, I = -1 });
                break;
            case "Dropout":
                // Inference Dropout is the identity; Identity has the same meaning at every opset.
                node.OpType = "Identity";
                node.Attribute.Clear();
                TrimTo(node.Input, 1);
                TrimTo(node.Output, 1);
                break;
            case "BatchNormalization":
                RemoveAttributes(node, "spatial", "consumed_inputs", "is_test");
                break;
        }
    }

    /// <summary>
    /// Before opset 13 Softmax-like ops flattened their input to 2-D at <c>axis</c> and normalized each row; spells that
    /// out (Shape, Flatten, the op on the last axis, Reshape back) for an axis not known to be the last one.
    /// </summary>
    private static void CoerceTo2D(GraphProto graph, NodeProto node, ModelNames names)
    {
        var prefix = BaseName(node);
        var input = node.Input[0];
        var output = node.Output[0];
        var shape = names.Claim(prefix + "_input_shape");
        var rows = names.Claim(prefix + "_2d");
        var normalized = names.Claim(prefix + "_2d_normalized");
        var index = graph.Node.IndexOf(node);
        var flatten = new NodeProto { OpType = "Flatten", Name = names.Claim(prefix + "_Flatten"), Input = { input }, Output = { rows } };
        flatten.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeType.Int, I = Int(node, "axis", 1) });
        graph.Node.Insert(index, new NodeProto { OpType = "Shape", Name = names.Claim(prefix + "_Shape"), Input = { input }, Output = { shape } });
        graph.Node.Insert(index + 1, flatten);
        node.Input[0] = rows;
        node.Output[0] = normalized;
        graph.Node.Insert(index + 3, new NodeProto { OpType = "Reshape", Name = names.Claim(prefix + "_Reshape"), Input = { normalized, shape }, Output = { output } });
    }

    private static bool IsLastAxis(GraphProto graph, NodeProto node)
    {
        var axis = Int(node, "axis", 1);
        if (axis == -1)
        {
            return true;
        }
        var rank = KnownRank(graph, node.Input[0]) ?? KnownRank(graph, node.Output[0]);
        return rank is not null && (axis == rank - 1 || axis == -1);
    }

    private static int? KnownRank(GraphProto graph, string name)
    {
        var info = graph.Input.Concat(graph.Output).Concat(graph.ValueInfo).FirstOrDefault(v => v.Name == name);
        var shape = info?.Type?.TensorType?.Shape;
        return shape is null ? null : shape.Dim.Count;
    }

    private static bool IsConsumed(GraphProto graph, string name) =>
        graph.Output.Any(o => o.Name == name) || OnnxGraphs.All(graph).SelectMany(g => g.Node).Any(n => n.Input.Contains(name));

    private static void MoveIntsToInput(GraphProto graph, NodeProto node, string attribute, int inputIndex, ModelNames names)
    {
        var values = Ints(node, attribute);
        if (values is null)
        {
            return;
        }
        RemoveAttributes(node, attribute);
        AddInt64Input(graph, node, inputIndex, values, names, attribute);
    }

    private static void AddInt64Input(GraphProto graph, NodeProto node, int index, long[] values, ModelNames names, string what, long[]? scalarShape = null)
    {
        var name = names.Claim($"{BaseName(node)}_{what}");
        graph.Initializer.Add(TensorData.CreateInt64(name, scalarShape ?? [values.Length], values));
        SetInput(node, index, name);
    }

    private static void AddFloatInput(GraphProto graph, NodeProto node, int index, float value, ModelNames names, string what)
    {
        var name = names.Claim($"{BaseName(node)}_{what}");
        graph.Initializer.Add(TensorData.Create(name, DataType.Float, [], BitConverter.GetBytes(value)));
        SetInput(node, index, name);
    }

    private static string BaseName(NodeProto node) => node.Name.Length > 0 ? node.Name : node.Output[0];

    private static void SetInput(NodeProto node, int index, string name)
    {
        while (node.Input.Count < index)
        {
            node.Input.Add("");
        }
        if (node.Input.Count == index)
        {
            node.Input.Add(name);
        }
        else
        {
            node.Input[index] = name;
        }
    }

    private static void TrimTo(Google.Protobuf.Collections.RepeatedField<string> field, int count)
    {
        while (field.Count > count)
        {
            field.RemoveAt(field.Count - 1);
        }
    }

    private static void RemoveAttributes(NodeProto node, params string[] names)
    {
        foreach (var attribute in node.Attribute.Where(a => names.Contains(a.Name)).ToList())
        {
            node.Attribute.Remove(attribute);
        }
    }

    private static long Int(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    private static float? Float(NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : null;

    private static long[]? Ints(NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.Ints.ToArray() : null;
}
