using System.Runtime.InteropServices;
using Google.Protobuf;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Onnx;

/// <summary>
/// Reads and writes tensor contents whether they sit in <c>raw_data</c> or in the typed fields
/// (<c>float_data</c>, <c>int32_data</c>, <c>int64_data</c>, <c>double_data</c>). Writes always use raw_data.
/// </summary>
public static class TensorData
{
    public static long ElementCount(TensorProto tensor)
    {
        long count = 1;
        foreach (var d in tensor.Dims)
        {
            if (d < 0)
            {
                throw new OnnxModelException($"tensor '{tensor.Name}' has a negative dimension {d}");
            }
            if (d != 0 && count > long.MaxValue / d)
            {
                throw new OnnxModelException($"tensor '{tensor.Name}' declares more elements than fit in 64 bits");
            }
            count *= d;
        }
        return count;
    }

    public static long ElementCount(IEnumerable<long> dims) => dims.Aggregate(1L, (a, d) => checked(a * d));

    /// <summary>Bits one element of <paramref name="dataType"/> takes, or -1 for strings and unknown types.</summary>
    public static int BitsPerElement(int dataType) => (DataType)dataType switch
    {
        DataType.Float or DataType.Int32 or DataType.Uint32 => 32,
        DataType.Double or DataType.Int64 or DataType.Uint64 or DataType.Complex64 => 64,
        DataType.Complex128 => 128,
        DataType.Float16 or DataType.Bfloat16 or DataType.Int16 or DataType.Uint16 => 16,
        DataType.Int8 or DataType.Uint8 or DataType.Bool or DataType.Float8E4M3Fn or DataType.Float8E4M3Fnuz
            or DataType.Float8E5M2 or DataType.Float8E5M2Fnuz => 8,
        DataType.Int4 or DataType.Uint4 or DataType.Float4E2M1 => 4,
        _ => -1,
    };

    /// <summary>Size of the tensor's raw little-endian encoding, or -1 when it has none (strings).</summary>
    public static long ByteSize(TensorProto tensor)
    {
        var bits = BitsPerElement(tensor.DataType);
        return bits < 0 ? -1 : (ElementCount(tensor) * bits + 7) / 8;
    }

    public static bool IsFloat(TensorProto tensor) => tensor.DataType == (int)DataType.Float;

    public static float[] ReadFloats(TensorProto tensor)
    {
        if (tensor.DataType != (int)DataType.Float)
        {
            throw new OnnxModelException($"tensor '{tensor.Name}' is {(DataType)tensor.DataType}, expected FLOAT");
        }

        var count = ElementCount(tensor);
        if (!tensor.RawData.IsEmpty)
        {
            RequireRawLength(tensor, count * 4);
            return MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
        }

        RequireTypedLength(tensor, tensor.FloatData.Count, count);
        return tensor.FloatData.ToArray();
    }

    public static long[] ReadInt64s(TensorProto tensor)
    {
        var count = ElementCount(tensor);
        switch ((DataType)tensor.DataType)
        {
            case DataType.Int64 when !tensor.RawData.IsEmpty:
                RequireRawLength(tensor, count * 8);
                return MemoryMarshal.Cast<byte, long>(tensor.RawData.Span).ToArray();
            case DataType.Int64:
                RequireTypedLength(tensor, tensor.Int64Data.Count, count);
                return tensor.Int64Data.ToArray();
            case DataType.Int32 when !tensor.RawData.IsEmpty:
                RequireRawLength(tensor, count * 4);
                return MemoryMarshal.Cast<byte, int>(tensor.RawData.Span).ToArray().Select(v => (long)v).ToArray();
            case DataType.Int32:
                RequireTypedLength(tensor, tensor.Int32Data.Count, count);
                return tensor.Int32Data.Select(v => (long)v).ToArray();
            default:
                throw new OnnxModelException($"tensor '{tensor.Name}' is {(DataType)tensor.DataType}, expected an integer tensor");
        }
    }

    /// <summary>
    /// The tensor's values in the managed array <see cref="Evaluation.ElementTypes"/> holds its element type in
    /// (float16 as raw bits, strings decoded as UTF-8), from raw_data or the typed field ONNX stores that type in.
    /// </summary>
    public static Array ReadArray(TensorProto tensor)
    {
        var type = (DataType)tensor.DataType;
        if (!Evaluation.ElementTypes.IsSupported(type))
        {
            throw new OnnxModelException($"tensor '{tensor.Name}' is {type}, which FleetQuant cannot hold");
        }
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new OnnxModelException($"tensor '{tensor.Name}' keeps its data in an external file, which is not supported here");
        }
        var count = ElementCount(tensor);
        if (type == DataType.String)
        {
            RequireTypedLength(tensor, tensor.StringData.Count, count);
            return tensor.StringData.Select(s => s.ToStringUtf8()).ToArray();
        }
        var values = Evaluation.ElementTypes.NewArray(type, count);
        if (!tensor.RawData.IsEmpty || count == 0)
        {
            RequireRawLength(tensor, count * Evaluation.ElementTypes.Size(type));
            CopyRaw(tensor.RawData.Span, values);
            return values;
        }
        switch (type)
        {
            case DataType.Float:
                RequireTypedLength(tensor, tensor.FloatData.Count, count);
                tensor.FloatData.CopyTo((float[])values, 0);
                break;
            case DataType.Double:
                RequireTypedLength(tensor, tensor.DoubleData.Count, count);
                tensor.DoubleData.CopyTo((double[])values, 0);
                break;
            case DataType.Int64:
                RequireTypedLength(tensor, tensor.Int64Data.Count, count);
                tensor.Int64Data.CopyTo((long[])values, 0);
                break;
            case DataType.Uint32:
                RequireTypedLength(tensor, tensor.Uint64Data.Count, count);
                Fill((uint[])values, tensor.Uint64Data, v => (uint)v);
                break;
            case DataType.Uint64:
                RequireTypedLength(tensor, tensor.Uint64Data.Count, count);
                tensor.Uint64Data.CopyTo((ulong[])values, 0);
                break;
            default:
                // int32_data carries every narrower integer type, bool and the 16-bit float bit patterns.
                RequireTypedLength(tensor, tensor.Int32Data.Count, count);
                FillFromInt32(type, values, tensor.Int32Data);
                break;
        }
        return values;
    }

    /// <summary>Moves typed-field contents into raw_data so every tensor has one encoding.</summary>
    public static void NormalizeToRaw(TensorProto tensor)
    {
        switch ((DataType)tensor.DataType)
        {
            case DataType.Float when tensor.FloatData.Count > 0:
                WriteFloats(tensor, tensor.FloatData.ToArray());
                break;
            case DataType.Int64 when tensor.Int64Data.Count > 0:
                SetRaw(tensor, MemoryMarshal.AsBytes(tensor.Int64Data.ToArray().AsSpan()));
                tensor.Int64Data.Clear();
                break;
            case DataType.Double when tensor.DoubleData.Count > 0:
                SetRaw(tensor, MemoryMarshal.AsBytes(tensor.DoubleData.ToArray().AsSpan()));
                tensor.DoubleData.Clear();
                break;
            case DataType.Int32 when tensor.Int32Data.Count > 0:
                SetRaw(tensor, MemoryMarshal.AsBytes(tensor.Int32Data.ToArray().AsSpan()));
                tensor.Int32Data.Clear();
                break;
            case DataType.Int8 or DataType.Uint8 or DataType.Bool when tensor.Int32Data.Count > 0:
                SetRaw(tensor, tensor.Int32Data.Select(v => (byte)v).ToArray());
                tensor.Int32Data.Clear();
                break;
            case DataType.Int16 or DataType.Uint16 or DataType.Float16 or DataType.Bfloat16 when tensor.Int32Data.Count > 0:
                var halves = tensor.Int32Data.Select(v => (ushort)v).ToArray();
                SetRaw(tensor, MemoryMarshal.AsBytes(halves.AsSpan()));
                tensor.Int32Data.Clear();
                break;
        }
    }

    public static void WriteFloats(TensorProto tensor, ReadOnlySpan<float> values)
    {
        tensor.DataType = (int)DataType.Float;
        tensor.FloatData.Clear();
        SetRaw(tensor, MemoryMarshal.AsBytes(values));
    }

    public static TensorProto Create(string name, DataType type, IEnumerable<long> dims, ReadOnlySpan<byte> raw)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type };
        tensor.Dims.AddRange(dims);
        SetRaw(tensor, raw);
        return tensor;
    }

    public static TensorProto CreateFloat(string name, IEnumerable<long> dims, ReadOnlySpan<float> values) =>
        Create(name, DataType.Float, dims, MemoryMarshal.AsBytes(values));

    public static TensorProto CreateInt64(string name, IEnumerable<long> dims, ReadOnlySpan<long> values) =>
        Create(name, DataType.Int64, dims, MemoryMarshal.AsBytes(values));

    private static void SetRaw(TensorProto tensor, ReadOnlySpan<byte> bytes)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian; big-endian hosts are not supported");
        }
        tensor.RawData = ByteString.CopyFrom(bytes);
    }

    private static void FillFromInt32(DataType type, Array values, IReadOnlyList<int> ints)
    {
        switch (type)
        {
            case DataType.Int32: Fill((int[])values, ints, v => v); break;
            case DataType.Bool: Fill((bool[])values, ints, v => v != 0); break;
            case DataType.Int8: Fill((sbyte[])values, ints, v => (sbyte)v); break;
            case DataType.Uint8: Fill((byte[])values, ints, v => (byte)v); break;
            case DataType.Int16: Fill((short[])values, ints, v => (short)v); break;
            default: Fill((ushort[])values, ints, v => (ushort)v); break;
        }
    }

    private static void Fill<TSource, T>(T[] target, IReadOnlyList<TSource> source, Func<TSource, T> convert)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] = convert(source[i]);
        }
    }

    private static void CopyRaw(ReadOnlySpan<byte> raw, Array values)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian; big-endian hosts are not supported");
        }
        switch (values)
        {
            case bool[] b:
                for (var i = 0; i < b.Length; i++)
                {
                    b[i] = raw[i] != 0;
                }
                break;
            default:
                raw.CopyTo(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(values), raw.Length));
                break;
        }
    }

    private static void RequireRawLength(TensorProto tensor, long expected)
    {
        if (tensor.RawData.Length != expected)
        {
            throw new OnnxModelException($"tensor '{tensor.Name}' has {tensor.RawData.Length} bytes of raw_data, its shape needs {expected}");
        }
    }

    private static void RequireTypedLength(TensorProto tensor, int actual, long expected)
    {
        if (actual != expected)
        {
            throw new OnnxModelException($"tensor '{tensor.Name}' has {actual} values, its shape needs {expected}");
        }
    }
}
