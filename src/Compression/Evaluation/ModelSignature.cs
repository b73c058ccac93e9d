using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// One declared model input or output: its name, element type (<see cref="DataType.Undefined"/> for sequences and
/// maps) and dimensions, -1 where a dimension is symbolic or unknown, with the symbolic names kept in
/// <see cref="DimParams"/> (null where the dimension is fixed or anonymous). <see cref="Dims"/> is null when the
/// model does not declare a shape at all.
/// </summary>
public sealed record TensorSignature(string Name, DataType ElementType, long[]? Dims, string?[]? DimParams)
{
    public string Describe() =>
        $"'{Name}' {ElementTypes.Name(ElementType)}[{(Dims is null ? "?" : string.Join(",", Dims.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : DimParams?[i] ?? "?")))}]";
}

/// <summary>
/// What data must match to feed a model: its real inputs (graph inputs that are not initializers) and its outputs,
/// in declaration order. Built once from a <see cref="ModelProto"/> and shared by the data loaders and the evaluator.
/// </summary>
public sealed record ModelSignature(IReadOnlyList<TensorSignature> Inputs, IReadOnlyList<TensorSignature> Outputs)
{
    public IReadOnlyList<string> InputNames => Inputs.Select(i => i.Name).ToList();

    public IReadOnlyList<string> OutputNames => Outputs.Select(o => o.Name).ToList();

    /// <summary>
    /// The first input's sample shape with the batch axis dropped (a rank-1 input is taken whole), when every
    /// dimension of it is known; null otherwise. IDX images are reshaped to it.
    /// </summary>
    public long[]? FirstInputSampleShape
    {
        get
        {
            var dims = Inputs.Count == 0 ? null : Inputs[0].Dims;
            if (dims is null || dims.Length == 0)
            {
                return null;
            }
            var sample = dims.Length == 1 ? dims : dims[1..];
            return sample.All(d => d > 0) ? sample : null;
        }
    }

    public static ModelSignature Of(ModelProto model)
    {
        var graph = model.Graph ?? throw new OnnxModelException("the model has no graph");
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        return new ModelSignature(
            graph.Input.Where(i => !initializers.Contains(i.Name)).Select(Describe).ToList(),
            graph.Output.Select(Describe).ToList());
    }

    private static TensorSignature Describe(ValueInfoProto value)
    {
        var tensor = value.Type?.TensorType;
        var dims = tensor?.Shape?.Dim;
        return new TensorSignature(
            value.Name,
            tensor is null ? DataType.Undefined : (DataType)tensor.ElemType,
            dims?.Select(d => d.HasDimValue && d.DimValue >= 0 ? d.DimValue : -1L).ToArray(),
            dims?.Select(d => d.HasDimParam && d.DimParam.Length > 0 ? d.DimParam : null).ToArray());
    }
}
