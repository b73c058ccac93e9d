using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Cli.Output;

/// <summary>What <c>inspect</c> reports about a model: opsets, operators, parameters and bytes per tensor type.</summary>
public sealed record ModelSummary(
    string Path,
    long FileBytes,
    long IrVersion,
    long? Opset,
    IReadOnlyDictionary<string, long> Opsets,
    IReadOnlyDictionary<string, int> Ops,
    long Parameters,
    IReadOnlyDictionary<string, long> BytesPerDtype,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs)
{
    public static ModelSummary Of(string path, ModelProto model)
    {
        var graphs = OnnxGraphs.All(model).ToList();
        var ops = graphs.SelectMany(g => g.Node)
            .GroupBy(n => n.Domain is "" or "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}")
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());
        var tensors = OnnxGraphs.AllTensors(model).ToList();
        var bytes = tensors
            .GroupBy(t => ((DataType)t.DataType).ToString().ToUpperInvariant())
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(t => Math.Max(0, TensorData.ByteSize(t))));
        var opsets = model.OpsetImport
            .GroupBy(o => o.Domain is "" or "ai.onnx" ? "ai.onnx" : o.Domain)
            .ToDictionary(g => g.Key, g => g.Max(o => o.Version));
        var initializers = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        return new ModelSummary(
            path,
            new FileInfo(path).Length,
            model.IrVersion,
            model.DefaultOpset(),
            opsets,
            ops,
            ParameterCount(tensors),
            bytes,
            model.Graph.Input.Where(i => !initializers.Contains(i.Name)).Select(Describe).ToList(),
            model.Graph.Output.Select(Describe).ToList());
    }

    /// <summary>Total elements; a hostile model can declare tensors whose sizes only overflow together.</summary>
    private static long ParameterCount(IEnumerable<TensorProto> tensors)
    {
        try
        {
            return tensors.Sum(TensorData.ElementCount);
        }
        catch (OverflowException)
        {
            throw new OnnxModelException("the model's tensors declare more elements than fit in 64 bits");
        }
    }

    private static string Describe(ValueInfoProto value)
    {
        var tensor = value.Type?.TensorType;
        if (tensor is null)
        {
            return value.Name;
        }
        var dims = tensor.Shape?.Dim.Select(d => d.HasDimValue ? d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : (d.DimParam is { Length: > 0 } p ? p : "?")) ?? [];
        return $"{value.Name}: {((DataType)tensor.ElemType).ToString().ToUpperInvariant()}[{string.Join(",", dims)}]";
    }
}
