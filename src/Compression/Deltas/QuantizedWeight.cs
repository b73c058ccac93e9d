using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Deltas;

/// <summary>How the scales (and zero points) of a quantized weight are shared among its elements.</summary>
internal enum ScaleSharing : byte
{
    PerTensor,
    PerAxis,
    Blocked,
}

/// <summary>
/// A quantized weight as its graph dequantizes it: the table indices of its codes, scales and zero points, and
/// how an element's logical index maps to its code slot and its scale. The logical weight is
/// [<see cref="Outer"/>, <see cref="Dim"/>, <see cref="Inner"/>], the scale axis in the middle; a
/// MatMulNBits weight is [N, K, 1] stored with K padded to whole blocks.
/// </summary>
internal sealed record QuantizedWeight(
    int Codes,
    int Scale,
    int Zero,
    long Outer,
    long Dim,
    long Inner,
    long PaddedDim,
    ScaleSharing Sharing,
    long Block,
    int SlotBits,
    bool Signed,
    int ZeroBits,
    bool ZeroSigned,
    long ZeroRowBits,
    int DefaultZero)
{
    public long Count => Outer * Dim * Inner;

    /// <summary>Rows and columns of the weight as a matrix (first dimension × the rest), for orientation matching.</summary>
    public long Rows { get; init; }

    public long Columns => Count / Math.Max(Rows, 1);

    public long Groups => Sharing switch
    {
        ScaleSharing.PerTensor => 1,
        ScaleSharing.PerAxis => Dim,
        _ => Outer * ((Dim + Block - 1) / Block) * Inner,
    };

    /// <summary>Storage slots (codes) of the weight, padding included.</summary>
    public long Slots => Outer * PaddedDim * Inner;

    public long GroupOf(long outer, long along, long inner) => Sharing switch
    {
        ScaleSharing.PerTensor => 0,
        ScaleSharing.PerAxis => along,
        _ => ((outer * ((Dim + Block - 1) / Block)) + (along / Block)) * Inner + inner,
    };

    /// <summary>Bit position of a group's zero point in the zero-point tensor's runtime bytes.</summary>
    public long ZeroBitPosition(long group)
    {
        if (ZeroRowBits == 0)
        {
            return group * ZeroBits;
        }
        var perRow = (Dim + Block - 1) / Block;
        return (group / perRow) * ZeroRowBits + (group % perRow) * ZeroBits;
    }

    /// <summary>Bytes the zero-point tensor needs for every group, so reading them cannot run past its end.</summary>
    public long ZeroBytesNeeded => Zero < 0 ? 0 : (ZeroBitPosition(Groups - 1) + ZeroBits + 7) / 8;
}

/// <summary>
/// Finds the quantized weights of an artifact from its graph skeleton: <c>DequantizeLinear</c> (per tensor, per
/// axis, blocked) and <c>com.microsoft.MatMulNBits</c> nodes whose codes, scales and zero points are all in the
/// tensor table with consistent shapes. Anything else is left alone (no prediction for it).
/// </summary>
internal static class QuantizedWeights
{
    public static Dictionary<int, QuantizedWeight> Find(ArtifactSource source)
    {
        var found = new Dictionary<int, QuantizedWeight>();
        GraphProto graph;
        try
        {
            graph = source.Table.ParseGraphSkeleton(source.Skeleton);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            return found;
        }
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < source.Table.Tensors.Count; i++)
        {
            byName.TryAdd(source.Table.Tensors[i].Name, i);
        }
        foreach (var node in graph.Node)
        {
            var weight = node.OpType switch
            {
                "DequantizeLinear" when node.Domain is "" or "ai.onnx" => FromDequantize(node, source.Table, byName),
                "MatMulNBits" when node.Domain == OnnxGraphs.MicrosoftDomain => FromMatMulNBits(node, source.Table, byName),
                _ => null,
            };
            if (weight is not null)
            {
                found.TryAdd(weight.Codes, weight);
            }
        }
        return found;
    }

    private static QuantizedWeight? FromDequantize(NodeProto node, ArtifactTable table, Dictionary<string, int> byName)
    {
        if (node.Input.Count < 2 || !byName.TryGetValue(node.Input[0], out var codes) || !byName.TryGetValue(node.Input[1], out var scale))
        {
            return null;
        }
        var codesEntry = table.Tensors[codes];
        var (slotBits, signed) = IntegerType(codesEntry.DataType);
        if (slotBits == 0 || table.Tensors[scale].DataType != (int)DataType.Float)
        {
            return null;
        }
        var zero = -1;
        var (zeroBits, zeroSigned) = (0, false);
        if (node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            if (!byName.TryGetValue(node.Input[2], out zero))
            {
                return null;
            }
            (zeroBits, zeroSigned) = IntegerType(table.Tensors[zero].DataType);
            if (zeroBits == 0)
            {
                return null;
            }
        }

        var dims = Dims(codesEntry);
        if (dims.Length == 0 && codesEntry.ElementCount != 1)
        {
            return null;
        }
        var scaleCount = table.Tensors[scale].ElementCount;
        var blockSize = Attribute(node, "block_size", 0);
        var axis = Attribute(node, "axis", 1);
        ScaleSharing sharing;
        long outer = 1, dim = codesEntry.ElementCount, inner = 1, block = 1;
        if (scaleCount == 1 && blockSize == 0)
        {
            sharing = ScaleSharing.PerTensor;
        }
        else
        {
            if (axis < 0)
            {
                axis += dims.Length;
            }
            if (axis < 0 || axis >= dims.Length)
            {
                return null;
            }
            outer = dims[..(int)axis].Aggregate(1L, (a, d) => a * d);
            dim = dims[axis];
            inner = dims[((int)axis + 1)..].Aggregate(1L, (a, d) => a * d);
            sharing = blockSize > 0 ? ScaleSharing.Blocked : ScaleSharing.PerAxis;
            block = blockSize > 0 ? blockSize : 1;
        }
        var weight = new QuantizedWeight(codes, scale, zero, outer, dim, inner, dim, sharing, block, slotBits, signed, zeroBits, zeroSigned, 0, 0)
        {
            Rows = dims.Length > 0 ? dims[0] : 1,
        };
        return Consistent(weight, table) ? weight : null;
    }

    private static QuantizedWeight? FromMatMulNBits(NodeProto node, ArtifactTable table, Dictionary<string, int> byName)
    {
        if (node.Input.Count < 3 || !byName.TryGetValue(node.Input[1], out var codes) || !byName.TryGetValue(node.Input[2], out var scale))
        {
            return null;
        }
        var bits = Attribute(node, "bits", 4);
        var block = Attribute(node, "block_size", 0);
        var k = Attribute(node, "K", 0);
        var n = Attribute(node, "N", 0);
        if (bits is not (2 or 4 or 8) || block <= 0 || block > 1 << 16 || k <= 0 || n <= 0 || k > 1L << 31 || n > 1L << 31
            || table.Tensors[codes].DataType != (int)DataType.Uint8 || table.Tensors[scale].DataType != (int)DataType.Float)
        {
            return null;
        }
        var blocks = (k + block - 1) / block;
        var zero = -1;
        if (node.Input.Count > 3 && node.Input[3].Length > 0)
        {
            if (!byName.TryGetValue(node.Input[3], out zero) || table.Tensors[zero].DataType != (int)DataType.Uint8)
            {
                return null;
            }
        }
        var rowBytes = (blocks * bits + 7) / 8;
        var weight = new QuantizedWeight(codes, scale, zero, n, k, 1, blocks * block, ScaleSharing.Blocked, block, (int)bits, false,
            (int)bits, false, rowBytes * 8, 1 << ((int)bits - 1))
        {
            Rows = n,
        };
        return Consistent(weight, table) ? weight : null;
    }

    /// <summary>Shapes agree: every slot, scale and zero point the weight reads lies inside its tensor.</summary>
    private static bool Consistent(QuantizedWeight w, ArtifactTable table)
    {
        if (w.Outer <= 0 || w.Dim <= 0 || w.Inner <= 0 || w.Count > int.MaxValue || w.Slots > int.MaxValue)
        {
            return false;
        }
        var codes = table.Tensors[w.Codes];
        return codes.RawLength * 8 == w.Slots * w.SlotBits
            && table.Tensors[w.Scale].ElementCount == w.Groups
            && table.Tensors[w.Scale].RawLength == w.Groups * 4
            && (w.Zero < 0 || table.Tensors[w.Zero].RawLength >= w.ZeroBytesNeeded)
            && (w.Zero < 0 || w.ZeroRowBits > 0 || table.Tensors[w.Zero].ElementCount == w.Groups);
    }

    private static (int Bits, bool Signed) IntegerType(int dataType) => (DataType)dataType switch
    {
        DataType.Int8 => (8, true),
        DataType.Uint8 => (8, false),
        DataType.Int4 => (4, true),
        DataType.Uint4 => (4, false),
        _ => (0, false),
    };

    private static long Attribute(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } attribute ? attribute.I : fallback;

    private static long[] Dims(TensorEntry entry)
    {
        try
        {
            return [.. TensorProto.Parser.ParseFrom(entry.Prefix).Dims];
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            return [];
        }
    }
}
