using FleetQuant.Compression.Onnx;

namespace FleetQuant.Cli.Output;

/// <summary>Reads the shape of one sample from a model's first real input (the batch axis dropped).</summary>
public static class ModelShapes
{
    /// <summary>The sample shape, with -1 for symbolic dimensions; null when the input has no shape.</summary>
    public static long[]? SampleShape(ModelProto model)
    {
        var initializers = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var input = model.Graph.Input.FirstOrDefault(i => !initializers.Contains(i.Name))
            ?? throw new OnnxModelException("the model has no inputs to feed");
        var dims = input.Type?.TensorType?.Shape?.Dim.Select(d => d.HasDimValue && d.DimValue > 0 ? d.DimValue : -1L).ToArray();
        if (dims is null || dims.Length == 0)
        {
            return null;
        }
        return dims.Length == 1 ? dims : dims[1..];
    }

    /// <summary>The sample shape when every dimension is known, for generating inputs; otherwise a clear error.</summary>
    public static long[] KnownSampleShape(ModelProto model)
    {
        var shape = SampleShape(model);
        return shape is not null && shape.All(d => d > 0)
            ? shape
            : throw new OnnxModelException($"the model's input shape [{string.Join(",", shape ?? [])}] has unknown dimensions; pass --data with real samples instead of --samples");
    }
}
