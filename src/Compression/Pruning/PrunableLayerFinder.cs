using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Pruning;

/// <summary>
/// Finds the layers of a graph whose output channels reach exactly one next Conv/Gemm/MatMul only through
/// channel-wise operators, so removing a channel means cutting tensors and nothing else.
/// </summary>
internal static class PrunableLayerFinder
{
    /// <summary>Element-wise operators whose single data input passes channels through unchanged.</summary>
    private static readonly HashSet<string> ChannelwiseUnary = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "Elu", "HardSigmoid", "Selu", "Softplus", "Softsign",
        "HardSwish", "Identity", "Dropout",
    };

    /// <summary>Element-wise operators that combine the channels with a constant tensor (a bias, a scale, a slope).</summary>
    private static readonly HashSet<string> ChannelwiseWithConstant = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "PRelu",
    };

    private static readonly HashSet<string> Pools = new(StringComparer.Ordinal)
    {
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool", "GlobalLpPool",
    };

    public static (IReadOnlyList<PrunableLayer> Layers, IReadOnlyList<UnprunableLayer> Skipped) Find(ModelProto model)
    {
        var layers = new List<PrunableLayer>();
        var skipped = new List<UnprunableLayer>();
        var uses = new GraphUses(model.Graph);
        foreach (var node in model.Graph.Node)
        {
            if (!IsLayer(node) || node.Input.Count < 2 || !uses.IsInitializer(node.Input[1]))
            {
                continue;
            }
            var layer = Trace(node, uses, out var reason);
            if (layer is null)
            {
                skipped.Add(new UnprunableLayer(node.Input[1], reason));
            }
            else
            {
                layers.Add(layer);
            }
        }

        foreach (var sub in OnnxGraphs.Subgraphs(model.Graph).SelectMany(OnnxGraphs.All))
        {
            skipped.AddRange(sub.Node.Where(n => IsLayer(n) && n.Input.Count > 1)
                .Select(n => new UnprunableLayer(n.Input[1], "the layer is inside a subgraph")));
        }
        return (layers, skipped);
    }

    private static bool IsLayer(NodeProto node) => IsDefaultDomain(node) && node.OpType is "Conv" or "Gemm" or "MatMul";

    private static bool IsDefaultDomain(NodeProto node) => node.Domain is "" or "ai.onnx";

    private static PrunableLayer? Trace(NodeProto producer, GraphUses uses, out string reason)
    {
        var weight = uses.PrivateFloatInitializer(producer.Input[1], out reason);
        if (weight is null)
        {
            return null;
        }

        var slices = new List<ChannelSlice>();
        var normalizations = new List<BatchNormScale>();
        int outputAxis;
        ChannelLayout layout;
        switch (producer.OpType)
        {
            case "Conv":
                if (weight.Dims.Count < 3 || IntAttribute(producer, "group", 1) != 1)
                {
                    reason = weight.Dims.Count < 3 ? "convolution weight has fewer than 3 dimensions" : "grouped or depthwise convolution";
                    return null;
                }
                outputAxis = 0;
                layout = new ChannelLayout(weight.Dims.Count - 1, weight.Dims.Count, false);
                break;
            case "Gemm":
                if (weight.Dims.Count != 2)
                {
                    reason = "Gemm weight is not 2-D";
                    return null;
                }
                outputAxis = IntAttribute(producer, "transB", 0) != 0 ? 0 : 1;
                layout = new ChannelLayout(1, 2, false);
                break;
            default:
                if (weight.Dims.Count != 2)
                {
                    reason = "MatMul weight is not 2-D";
                    return null;
                }
                outputAxis = 1;
                layout = new ChannelLayout(1, uses.RankOf(producer.Input[0]), false);
                break;
        }

        var channels = weight.Dims[outputAxis];
        if (channels < 2 || channels > int.MaxValue)
        {
            reason = $"{channels} output channels";
            return null;
        }
        var c = (int)channels;
        slices.Add(new ChannelSlice(weight, outputAxis, 1));

        if (producer.Input.Count > 2 && producer.Input[2].Length > 0 && !AddBias(producer, layout, c, uses, slices, out reason))
        {
            reason = "bias: " + reason;
            return null;
        }

        if (producer.Output.Count != 1)
        {
            reason = $"{producer.OpType} has {producer.Output.Count} outputs";
            return null;
        }

        var current = producer.Output[0];
        var resized = new List<string> { current };
        for (var hops = 0; hops <= uses.Graph.Node.Count; hops++)
        {
            var readers = uses.UsesOf(current);
            if (readers.Count != 1)
            {
                reason = readers.Count == 0 ? $"'{current}' is not used" : $"'{current}' feeds {readers.Count} readers (a branch or residual)";
                return null;
            }
            var use = readers[0];
            if (use.IsGraphOutput)
            {
                reason = $"'{current}' is a graph output (the model's last layer)";
                return null;
            }
            if (use.FromSubgraph)
            {
                reason = $"'{current}' is read inside a subgraph";
                return null;
            }

            var node = use.Node!;
            if (!IsDefaultDomain(node))
            {
                reason = $"'{current}' passes through {node.Domain}.{node.OpType}";
                return null;
            }

            if (IsLayer(node))
            {
                var next = NextLayerSlice(node, use.InputIndex, layout, c, uses, out var block, out reason);
                if (next is null)
                {
                    return null;
                }
                slices.Add(next);
                return new PrunableLayer(weight, outputAxis, c, slices, normalizations, resized, current, layout, block, next.Tensor.Name);
            }

            if (!PassThrough(node, use.InputIndex, ref layout, c, uses, slices, normalizations, out reason))
            {
                return null;
            }
            current = node.Output[0];
            resized.Add(current);
        }

        reason = "the graph has a cycle";
        return null;
    }

    /// <summary>Checks one operator between the layers; records any per-channel constant it needs cut.</summary>
    private static bool PassThrough(NodeProto node, int inputIndex, ref ChannelLayout layout, int channels, GraphUses uses, List<ChannelSlice> slices, List<BatchNormScale> normalizations, out string reason)
    {
        reason = "";
        var op = node.OpType;
        if (node.Output.Count == 0 || !ExtraOutputsUnused(node, uses))
        {
            reason = $"{op} '{node.Name}' has extra outputs in use";
            return false;
        }

        if (ChannelwiseUnary.Contains(op))
        {
            if (inputIndex != 0)
            {
                reason = $"'{node.Input[inputIndex]}' is a parameter of {op}, not its data";
                return false;
            }
            return true;
        }

        if (ChannelwiseWithConstant.Contains(op))
        {
            if (layout.Flattened)
            {
                reason = $"{op} after Flatten (per-feature constants are not cut)";
                return false;
            }
            if (node.Input.Count != 2)
            {
                reason = $"{op} '{node.Name}' has {node.Input.Count} inputs";
                return false;
            }
            var other = node.Input[1 - inputIndex];
            if (!uses.IsInitializer(other) || (op == "PRelu" && inputIndex != 0))
            {
                reason = $"{op} '{node.Name}' combines the channels with another activation (a residual or gate)";
                return false;
            }
            if (!AddConstant(other, layout, channels, uses, slices, out reason))
            {
                reason = $"{op} '{node.Name}': {reason}";
                return false;
            }
            return true;
        }

        if (op == "BatchNormalization")
        {
            if (inputIndex != 0 || !layout.ChannelsOnAxisOne || node.Input.Count != 5)
            {
                reason = $"BatchNormalization '{node.Name}' does not normalize these channels on axis 1";
                return false;
            }
            for (var i = 1; i < 5; i++)
            {
                var tensor = uses.PrivateFloatInitializer(node.Input[i], out reason);
                if (tensor is null || tensor.Dims.Count != 1 || tensor.Dims[0] != channels)
                {
                    reason = $"BatchNormalization '{node.Name}': {(tensor is null ? reason : $"'{node.Input[i]}' is not one value per channel")}";
                    return false;
                }
                slices.Add(new ChannelSlice(tensor, 0, 1));
            }
            var epsilon = node.Attribute.FirstOrDefault(a => a.Name == "epsilon") is { } e ? e.F : 1e-5f;
            normalizations.Add(new BatchNormScale(slices[^4].Tensor, slices[^1].Tensor, epsilon));
            return true;
        }

        if (Pools.Contains(op))
        {
            if (!layout.ChannelsOnAxisOne)
            {
                reason = $"{op} '{node.Name}' needs channels on axis 1";
                return false;
            }
            return true;
        }

        if (op == "Flatten")
        {
            var rank = layout.Rank ?? 0;
            var axis = IntAttribute(node, "axis", 1);
            if (!layout.ChannelsOnAxisOne || (axis < 0 ? axis + rank : axis) != 1)
            {
                reason = $"Flatten '{node.Name}' does not keep the batch axis alone in front of the channels";
                return false;
            }
            layout = new ChannelLayout(1, 2, true);
            return true;
        }

        reason = $"'{node.Input[inputIndex]}' passes through {op}, which moves or mixes channels";
        return false;
    }

    /// <summary>The next layer's weight, cut along its input axis; <paramref name="block"/> is the entries per channel there.</summary>
    private static ChannelSlice? NextLayerSlice(NodeProto next, int inputIndex, ChannelLayout layout, int channels, GraphUses uses, out int block, out string reason)
    {
        block = 1;
        if (inputIndex != 0 || next.Input.Count < 2)
        {
            reason = $"'{next.Input[Math.Max(0, inputIndex)]}' is a parameter of {next.OpType} '{next.Name}', not its data input";
            return null;
        }
        var weight = uses.PrivateFloatInitializer(next.Input[1], out reason);
        if (weight is null)
        {
            reason = $"next layer {next.OpType} '{next.Name}': {reason}";
            return null;
        }

        int inputAxis;
        switch (next.OpType)
        {
            case "Conv":
                if (layout.Flattened || weight.Dims.Count < 3 || layout.Rank != weight.Dims.Count || !layout.ChannelsOnAxisOne
                    || IntAttribute(next, "group", 1) != 1)
                {
                    reason = $"next layer Conv '{next.Name}' is grouped or does not read these channels on axis 1";
                    return null;
                }
                inputAxis = 1;
                break;
            case "Gemm":
                if (IntAttribute(next, "transA", 0) != 0 || layout.FromEnd != 1 || weight.Dims.Count != 2)
                {
                    reason = $"next layer Gemm '{next.Name}' does not read these channels on its last axis";
                    return null;
                }
                inputAxis = IntAttribute(next, "transB", 0) != 0 ? 1 : 0;
                break;
            default:
                if (layout.FromEnd != 1 || weight.Dims.Count != 2)
                {
                    reason = $"next layer MatMul '{next.Name}' does not read these channels on its last axis";
                    return null;
                }
                inputAxis = 0;
                break;
        }

        var width = weight.Dims[inputAxis];
        if (layout.Flattened ? width % channels != 0 || width == 0 : width != channels)
        {
            reason = $"next layer {next.OpType} '{next.Name}' reads {width} inputs, not a multiple of {channels} channels";
            return null;
        }
        block = (int)(width / channels);
        return new ChannelSlice(weight, inputAxis, block);
    }

    /// <summary>Conv's bias is one value per output channel; Gemm's C broadcasts against [M, N] like any constant.</summary>
    private static bool AddBias(NodeProto producer, ChannelLayout layout, int channels, GraphUses uses, List<ChannelSlice> slices, out string reason)
    {
        if (producer.OpType != "Conv")
        {
            return AddConstant(producer.Input[2], layout, channels, uses, slices, out reason);
        }
        var bias = uses.PrivateFloatInitializer(producer.Input[2], out reason);
        if (bias is null || bias.Dims.Count != 1 || bias.Dims[0] != channels)
        {
            reason = bias is null ? reason : $"'{bias.Name}' is not one value per output channel";
            return false;
        }
        slices.Add(new ChannelSlice(bias, 0, 1));
        return true;
    }

    /// <summary>A constant combined element-wise with the channels: cut when it has one value per channel, kept when it broadcasts.</summary>
    private static bool AddConstant(string name, ChannelLayout layout, int channels, GraphUses uses, List<ChannelSlice> slices, out string reason)
    {
        var tensor = uses.PrivateFloatInitializer(name, out reason);
        if (tensor is null)
        {
            return false;
        }
        var axis = tensor.Dims.Count - layout.FromEnd;
        if (axis < 0 || tensor.Dims[axis] == 1)
        {
            return true;
        }
        if (tensor.Dims[axis] != channels)
        {
            reason = $"'{name}' has {tensor.Dims[axis]} values on the channel axis, not {channels}";
            return false;
        }
        slices.Add(new ChannelSlice(tensor, axis, 1));
        return true;
    }

    private static bool ExtraOutputsUnused(NodeProto node, GraphUses uses) =>
        node.Output.Skip(1).All(o => o.Length == 0 || uses.UsesOf(o).Count == 0);

    private static long IntAttribute(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } attribute ? attribute.I : fallback;
}
