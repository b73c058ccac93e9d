using FleetQuant.Compression.Evaluation;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Data;

/// <summary>
/// The contents of one <c>.npy</c> array: its full shape (empty for a 0-d array), element type and values in C
/// (row-major) order, held in the managed array <see cref="ElementTypes"/> names for the type.
/// </summary>
public sealed record NpyArray(long[] Shape, DataType ElementType, Array Values)
{
    public string DescribeShape() => $"{ElementTypes.Name(ElementType)}[{string.Join(",", Shape)}]";
}
