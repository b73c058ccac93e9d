using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// The tensor element types FleetQuant feeds and reads, the managed array each is held in, and conversions. float16 and
/// bfloat16 are kept as their raw 16-bit patterns (<c>ushort[]</c>), bool as <c>bool[]</c>, strings as <c>string[]</c>.
/// </summary>
public static class ElementTypes
{
    /// <summary>The managed element type that holds <paramref name="type"/>, or null when FleetQuant cannot hold it.</summary>
    public static Type? ClrType(DataType type) => type switch
    {
        DataType.Float => typeof(float),
        DataType.Double => typeof(double),
        DataType.Float16 or DataType.Bfloat16 or DataType.Uint16 => typeof(ushort),
        DataType.Int8 => typeof(sbyte),
        DataType.Uint8 => typeof(byte),
        DataType.Int16 => typeof(short),
        DataType.Int32 => typeof(int),
        DataType.Uint32 => typeof(uint),
        DataType.Int64 => typeof(long),
        DataType.Uint64 => typeof(ulong),
        DataType.Bool => typeof(bool),
        DataType.String => typeof(string),
        _ => null,
    };

    /// <summary>Bytes per element (strings: 0).</summary>
    public static int Size(DataType type) => type switch
    {
        DataType.Double or DataType.Int64 or DataType.Uint64 => 8,
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Float16 or DataType.Bfloat16 or DataType.Uint16 or DataType.Int16 => 2,
        DataType.Int8 or DataType.Uint8 or DataType.Bool => 1,
        _ => 0,
    };

    public static bool IsSupported(DataType type) => ClrType(type) is not null;

    public static bool IsInteger(DataType type) =>
        type is DataType.Int8 or DataType.Uint8 or DataType.Int16 or DataType.Uint16 or DataType.Int32 or DataType.Uint32
            or DataType.Int64 or DataType.Uint64;

    /// <summary>The lower-case ONNX name (<c>float</c>, <c>int64</c>, <c>float16</c>…), as messages and JSON show it.</summary>
    public static string Name(DataType type) => type.ToString().ToLowerInvariant();

    /// <summary>The element type an ONNX lower-case name (<see cref="Name"/>) stands for, or null when unknown or unsupported.</summary>
    public static DataType? Parse(string name) =>
        Enum.TryParse<DataType>(name, ignoreCase: true, out var type) && type.ToString().Equals(name, StringComparison.OrdinalIgnoreCase) && IsSupported(type)
            ? type
            : null;

    /// <summary>The little-endian bytes of a numeric array (not strings).</summary>
    public static byte[] ToBytes(Array values)
    {
        if (values is string[])
        {
            throw new NotSupportedException("string tensors have no fixed-size byte form");
        }
        var bytes = new byte[Buffer.ByteLength(values)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>An array of <paramref name="type"/> from its little-endian bytes; the length must be whole elements.</summary>
    public static Array FromBytes(DataType type, byte[] bytes)
    {
        var size = Size(type);
        if (size == 0 || bytes.Length % size != 0)
        {
            throw new InvalidDataException($"{bytes.Length} bytes are not whole {Name(type)} values");
        }
        var values = NewArray(type, bytes.Length / size);
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    /// <summary>A new zeroed array of <paramref name="length"/> elements of <paramref name="type"/>.</summary>
    public static Array NewArray(DataType type, long length) =>
        Array.CreateInstance(ClrType(type) ?? throw new NotSupportedException($"element type {Name(type)} is not supported"), checked((int)length));

    /// <summary>Element <paramref name="index"/> of <paramref name="values"/> as a double (strings are not numbers: NaN).</summary>
    // Dispatched on the element type, not the array's runtime type: the CLR lets a byte[] pass as sbyte[] (and
    // ushort[] as short[], uint[] as int[], ulong[] as long[]), so array patterns would read unsigned values as signed.
    public static double ToDouble(DataType type, Array values, long index) => type switch
    {
        DataType.Float => ((float[])values)[index],
        DataType.Double => ((double[])values)[index],
        DataType.Float16 => (double)BitConverter.UInt16BitsToHalf(((ushort[])values)[index]),
        DataType.Bfloat16 => BitConverter.Int32BitsToSingle(((ushort[])values)[index] << 16),
        DataType.Uint16 => ((ushort[])values)[index],
        DataType.Int8 => ((sbyte[])values)[index],
        DataType.Uint8 => ((byte[])values)[index],
        DataType.Int16 => ((short[])values)[index],
        DataType.Int32 => ((int[])values)[index],
        DataType.Uint32 => ((uint[])values)[index],
        DataType.Int64 => ((long[])values)[index],
        DataType.Uint64 => ((ulong[])values)[index],
        DataType.Bool => ((bool[])values)[index] ? 1 : 0,
        _ => double.NaN,
    };

    /// <summary>Stores <paramref name="value"/> at <paramref name="index"/>, rounded and saturated to the element type.</summary>
    public static void Set(DataType type, Array values, long index, double value)
    {
        switch (type)
        {
            case DataType.Float: ((float[])values)[index] = (float)value; break;
            case DataType.Double: ((double[])values)[index] = value; break;
            case DataType.Float16: ((ushort[])values)[index] = BitConverter.HalfToUInt16Bits((Half)value); break;
            case DataType.Bfloat16: ((ushort[])values)[index] = (ushort)(BitConverter.SingleToInt32Bits((float)value) >> 16); break;
            case DataType.Uint16: ((ushort[])values)[index] = (ushort)Saturate(value, ushort.MinValue, ushort.MaxValue); break;
            case DataType.Int8: ((sbyte[])values)[index] = (sbyte)Saturate(value, sbyte.MinValue, sbyte.MaxValue); break;
            case DataType.Uint8: ((byte[])values)[index] = (byte)Saturate(value, byte.MinValue, byte.MaxValue); break;
            case DataType.Int16: ((short[])values)[index] = (short)Saturate(value, short.MinValue, short.MaxValue); break;
            case DataType.Int32: ((int[])values)[index] = (int)Saturate(value, int.MinValue, int.MaxValue); break;
            case DataType.Uint32: ((uint[])values)[index] = (uint)Saturate(value, uint.MinValue, uint.MaxValue); break;
            case DataType.Int64: ((long[])values)[index] = (long)Saturate(value, long.MinValue, long.MaxValue); break;
            case DataType.Uint64: ((ulong[])values)[index] = (ulong)Saturate(value, ulong.MinValue, ulong.MaxValue); break;
            case DataType.Bool: ((bool[])values)[index] = value != 0; break;
            case DataType.String: ((string[])values)[index] = value.ToString(System.Globalization.CultureInfo.InvariantCulture); break;
            default: throw new NotSupportedException($"cannot store {Name(type)} values");
        }
    }

    private static double Saturate(double value, double min, double max) =>
        double.IsNaN(value) ? 0 : Math.Clamp(Math.Round(value), min, max);
}
