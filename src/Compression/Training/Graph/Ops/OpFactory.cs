using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Training.Graph.Ops;

/// <summary>Maps an ONNX node to the trainer's op, or refuses it with the reason.</summary>
internal static class OpFactory
{
    public static readonly IReadOnlyList<string> SupportedOps =
    [
        "Add", "Sub", "Mul", "Gemm", "MatMul", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Identity", "Softmax", "LogSoftmax",
        "Flatten", "Reshape", "Transpose", "Concat", "Conv", "MaxPool", "AveragePool", "GlobalAveragePool",
        "BatchNormalization", "Dropout",
    ];

    /// <summary>Integer and float constants by value name: the build-time inputs (Reshape's shape, Dropout's ratio).</summary>
    public sealed record Constants(IReadOnlyDictionary<string, long[]> Integers, IReadOnlyDictionary<string, float[]> Floats);

    public static TrainableOp Create(NodeProto node, long opset, Constants constants)
    {
        var name = string.IsNullOrEmpty(node.Name) ? node.Output.FirstOrDefault() ?? "?" : node.Name;
        UntrainableGraphException Refuse(string reason) => new(node.OpType, name, reason);

        if (node.Domain is not ("" or "ai.onnx"))
        {
            throw Refuse($"domain '{node.Domain}' is outside the trainer's op set (standard ONNX ops only)");
        }
        return node.OpType switch
        {
            "Add" or "Sub" or "Mul" => new BinaryOp(node),
            "Relu" or "LeakyRelu" or "Sigmoid" or "Tanh" or "Identity" => new UnaryOp(node),
            "Gemm" => new GemmOp(node),
            "MatMul" => new MatMulOp(node),
            "Softmax" or "LogSoftmax" => new SoftmaxOp(node, opset),
            "Flatten" => new ReshapeOp(node, null),
            "Reshape" => new ReshapeOp(node, ReshapeTarget(node, opset, constants, Refuse)),
            "Transpose" => new TransposeOp(node),
            "Concat" => new ConcatOp(node),
            "Conv" => new ConvOp(node),
            "MaxPool" or "AveragePool" => Pool(node, Refuse),
            "GlobalAveragePool" => new GlobalAveragePoolOp(node),
            "BatchNormalization" => BatchNorm(node, Refuse),
            "Dropout" => new DropoutOp(node, DropoutRatio(node, opset, constants, Refuse)),
            _ => throw Refuse($"the op is outside the trainer's subset ({string.Join(", ", SupportedOps)})"),
        };
    }

    private static long[] ReshapeTarget(NodeProto node, long opset, Constants constants, Func<string, UntrainableGraphException> refuse)
    {
        if (opset < 5)
        {
            return NodeAttributes.Ints(node, "shape") ?? throw refuse("Reshape-1 without a shape attribute");
        }
        if (node.Input.Count < 2 || !constants.Integers.TryGetValue(node.Input[1], out var shape))
        {
            throw refuse("the target shape is computed in the graph; the trainer needs it as a constant initializer");
        }
        if (NodeAttributes.Int(node, "allowzero", 0) != 0 && shape.Contains(0))
        {
            throw refuse("allowzero with a 0 in the shape (an empty tensor) is not supported");
        }
        return shape;
    }

    private static TrainableOp Pool(NodeProto node, Func<string, UntrainableGraphException> refuse)
    {
        if (NodeAttributes.Ints(node, "kernel_shape") is not { Length: 2 })
        {
            throw refuse("only 2-D pooling windows are supported");
        }
        return new PoolOp(node);
    }

    private static TrainableOp BatchNorm(NodeProto node, Func<string, UntrainableGraphException> refuse)
    {
        if (NodeAttributes.Int(node, "training_mode", 0) != 0 || node.Output.Skip(1).Any(o => !string.IsNullOrEmpty(o)))
        {
            throw refuse("training-mode BatchNormalization (batch statistics, running-mean outputs) is not supported; the trainer uses the inference form");
        }
        if (node.Input.Count != 5)
        {
            throw refuse("expects X, scale, B, mean and var");
        }
        return new BatchNormOp(node);
    }

    private static float DropoutRatio(NodeProto node, long opset, Constants constants, Func<string, UntrainableGraphException> refuse)
    {
        var ratio = 0.5f;
        if (opset < 12)
        {
            ratio = NodeAttributes.Float(node, "ratio", 0.5f);
        }
        else if (node.Input.Count > 1 && !string.IsNullOrEmpty(node.Input[1]))
        {
            ratio = constants.Floats.TryGetValue(node.Input[1], out var value) && value.Length == 1
                ? value[0]
                : throw refuse("the ratio must be a constant scalar");
        }
        return ratio is >= 0f and < 1f ? ratio : throw refuse($"ratio {ratio} is outside [0, 1)");
    }
}
