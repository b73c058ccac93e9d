using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using FleetQuant.Compression.Evaluation;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Data;

/// <summary>
/// Reads NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0) holding numbers or booleans, little- or big-endian,
/// C or Fortran order (returned in C order). Works on streams of unknown length (zip entries): the data is read as
/// it arrives, so a header that declares more than the stream holds fails as truncated after allocating only what
/// was really there, and no header can declare more than <see cref="SampleArray.MaxElements"/> values.
/// </summary>
public static class NpyFile
{
    /// <summary>Largest header accepted; real headers are well under 1 KiB even for high-rank arrays.</summary>
    public const int MaxHeaderBytes = 64 * 1024;

    private const int MaxDimensions = 64;
    private const int ReadChunkBytes = 1 << 20;
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static NpyArray Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"NPY file not found: {path}", path);
        }
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads one array from <paramref name="stream"/>; <paramref name="label"/> names it in errors.</summary>
    public static NpyArray Read(Stream stream, string label)
    {
        var header = ReadHeader(stream, label);
        long? available = stream.CanSeek ? stream.Length - stream.Position : null;
        var values = ReadValues(stream, header, available, label);
        if (stream.ReadByte() >= 0)
        {
            throw new InvalidDataException($"{label}: holds more data than its header declares ({header.DescribeShape()})");
        }
        return new NpyArray(header.Shape, header.ElementType, header.FortranOrder && header.Shape.Length > 1 ? ToCOrder(values, header.Shape, header.ElementType) : values);
    }

    private sealed record Header(long[] Shape, DataType ElementType, bool BigEndian, bool FortranOrder, long Count)
    {
        public string DescribeShape() => $"{ElementTypes.Name(ElementType)}[{string.Join(",", Shape)}]";
    }

    private static Header ReadHeader(Stream stream, string label)
    {
        var prelude = new byte[Magic.Length + 2];
        DataStreams.ReadExactly(stream, prelude, label, "NPY", "its magic string");
        if (!prelude.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{label}: not an NPY file (it does not start with \\x93NUMPY)");
        }
        var major = prelude[Magic.Length];
        if (major is < 1 or > 3)
        {
            throw new InvalidDataException($"{label}: NPY format version {major}.{prelude[Magic.Length + 1]} is not supported (1.0, 2.0 and 3.0 are)");
        }

        var lengthBytes = new byte[major == 1 ? 2 : 4];
        DataStreams.ReadExactly(stream, lengthBytes, label, "NPY", "its header length");
        var headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes)
        {
            throw new InvalidDataException($"{label}: NPY header declares {headerLength} bytes, over the {MaxHeaderBytes}-byte limit");
        }
        var text = new byte[headerLength];
        DataStreams.ReadExactly(stream, text, label, "NPY", "its header");
        // Version 3.0 differs from 2.0 only in allowing UTF-8 in the header (for structured field names).
        var dictionary = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(text);
        return ParseHeader(dictionary, label);
    }

    private static Header ParseHeader(string text, string label)
    {
        object? parsed;
        try
        {
            parsed = new PythonLiteral(text).ParseWhole();
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"{label}: NPY header is not a Python dictionary literal ({ex.Message})");
        }
        if (parsed is not Dictionary<string, object?> entries)
        {
            throw new InvalidDataException($"{label}: NPY header is not a dictionary");
        }
        if (entries.Count != 3 || !entries.ContainsKey("descr") || !entries.ContainsKey("fortran_order") || !entries.ContainsKey("shape"))
        {
            throw new InvalidDataException($"{label}: NPY header must hold exactly 'descr', 'fortran_order' and 'shape', found {string.Join(", ", entries.Keys.Select(k => $"'{k}'"))}");
        }
        if (entries["fortran_order"] is not bool fortranOrder)
        {
            throw new InvalidDataException($"{label}: NPY header's 'fortran_order' is not True or False");
        }
        if (entries["shape"] is not List<object?> dims || dims.Count > MaxDimensions || dims.Any(d => d is not long n || n < 0))
        {
            throw new InvalidDataException($"{label}: NPY header's 'shape' is not a tuple of at most {MaxDimensions} non-negative integers");
        }
        var shape = dims.Select(d => (long)d!).ToArray();
        var (elementType, bigEndian) = ParseDescr(entries["descr"], label);

        // Saturate instead of overflowing: anything past the cap is rejected.
        var count = shape.Contains(0) ? 0 : shape.Aggregate(1L, (a, d) => a > SampleArray.MaxElements ? a : a * Math.Min(d, SampleArray.MaxElements + 1));
        if (count > SampleArray.MaxElements)
        {
            throw new InvalidDataException($"{label}: NPY header declares shape [{string.Join(",", shape)}], over the {SampleArray.MaxElements}-value limit");
        }
        return new Header(shape, elementType, bigEndian, fortranOrder, count);
    }

    private static (DataType Type, bool BigEndian) ParseDescr(object? descr, string label)
    {
        if (descr is not string text)
        {
            throw new InvalidDataException($"{label}: structured NPY dtypes (a list of fields in 'descr') are not supported; save one plain numeric array per input");
        }
        var hasOrder = text.Length > 0 && "<>=|".Contains(text[0]);
        var order = hasOrder ? text[0] : '=';
        var code = hasOrder ? text[1..] : text;
        DataType? type = code switch
        {
            "f4" => DataType.Float,
            "f8" => DataType.Double,
            "f2" => DataType.Float16,
            "i1" => DataType.Int8,
            "u1" => DataType.Uint8,
            "b1" => DataType.Bool,
            "i2" => DataType.Int16,
            "u2" => DataType.Uint16,
            "i4" => DataType.Int32,
            "u4" => DataType.Uint32,
            "i8" => DataType.Int64,
            "u8" => DataType.Uint64,
            _ => null,
        };
        if (type is null)
        {
            var kind = code.Length > 0 ? code[0] : ' ';
            var what = kind switch
            {
                'U' => "unicode strings",
                'S' or 'a' => "byte strings",
                'O' => "Python objects (pickled)",
                'c' => "complex numbers",
                'M' or 'm' => "dates and times",
                'V' => "raw void records",
                _ => "this element type",
            };
            throw new InvalidDataException($"{label}: NPY dtype '{text}' holds {what}, which is not supported (supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)");
        }
        var size = ElementTypes.Size(type.Value);
        if (order == '|' && size > 1)
        {
            throw new InvalidDataException($"{label}: NPY dtype '{text}' has no byte order, which a {size}-byte type needs");
        }
        return (type.Value, order == '>' && size > 1);
    }

    /// <summary>
    /// Fills the typed array straight from the stream. When the length is unknown the array grows as bytes really
    /// arrive, so memory tracks what the stream holds, not what its header claims.
    /// </summary>
    private static Array ReadValues(Stream stream, Header header, long? available, string label)
    {
        var size = ElementTypes.Size(header.ElementType);
        var declaredBytes = header.Count * size;
        if (available < declaredBytes)
        {
            throw Truncated(label, header, available.Value);
        }
        var values = ElementTypes.NewArray(header.ElementType, available is null ? Math.Min(header.Count, ReadChunkBytes / size) : header.Count);
        long filled = 0;
        while (filled < declaredBytes)
        {
            if (filled == values.LongLength * size)
            {
                var grown = ElementTypes.NewArray(header.ElementType, Math.Min(header.Count, 2 * values.LongLength));
                Array.Copy(values, grown, values.LongLength);
                values = grown;
            }
            int read;
            try
            {
                read = stream.Read(BytesOf(values, size)[(int)filled..]);
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"{label}: corrupt compressed data ({ex.Message})", ex);
            }
            if (read == 0)
            {
                throw Truncated(label, header, filled);
            }
            filled += read;
        }

        if (header.BigEndian)
        {
            SwapBytes(values, size);
        }
        if (values is bool[] flags)
        {
            // NumPy writes 0 and 1, but any other byte must not become a bool the runtime cannot compare.
            var raw = MemoryMarshal.AsBytes(flags.AsSpan());
            for (var i = 0; i < raw.Length; i++)
            {
                flags[i] = raw[i] != 0;
            }
        }
        return values;
    }

    private static InvalidDataException Truncated(string label, Header header, long held) =>
        new($"{label}: NPY data is truncated: header declares {header.DescribeShape()} ({header.Count * ElementTypes.Size(header.ElementType)} bytes), the file holds {held}");

    private static Span<byte> BytesOf(Array values, int size) =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(values), checked((int)(values.LongLength * size)));

    private static void SwapBytes(Array values, int size)
    {
        var bytes = BytesOf(values, size);
        switch (size)
        {
            case 2:
                var halves = MemoryMarshal.Cast<byte, ushort>(bytes);
                BinaryPrimitives.ReverseEndianness(halves, halves);
                break;
            case 4:
                var words = MemoryMarshal.Cast<byte, uint>(bytes);
                BinaryPrimitives.ReverseEndianness(words, words);
                break;
            case 8:
                var longs = MemoryMarshal.Cast<byte, ulong>(bytes);
                BinaryPrimitives.ReverseEndianness(longs, longs);
                break;
        }
    }

    /// <summary>Reorders a Fortran-order (first index fastest) array into C order; elements move as opaque bit patterns.</summary>
    private static Array ToCOrder(Array values, long[] shape, DataType type)
    {
        var size = ElementTypes.Size(type);
        var result = ElementTypes.NewArray(type, values.LongLength);
        switch (size)
        {
            case 1: Transpose(BytesOf(values, size), BytesOf(result, size), shape); break;
            case 2: Transpose(MemoryMarshal.Cast<byte, ushort>(BytesOf(values, size)), MemoryMarshal.Cast<byte, ushort>(BytesOf(result, size)), shape); break;
            case 4: Transpose(MemoryMarshal.Cast<byte, uint>(BytesOf(values, size)), MemoryMarshal.Cast<byte, uint>(BytesOf(result, size)), shape); break;
            default: Transpose(MemoryMarshal.Cast<byte, ulong>(BytesOf(values, size)), MemoryMarshal.Cast<byte, ulong>(BytesOf(result, size)), shape); break;
        }
        return result;
    }

    private static void Transpose<T>(ReadOnlySpan<T> fortran, Span<T> c, long[] shape)
    {
        var rank = shape.Length;
        var strides = new long[rank];
        for (var k = 0; k < rank; k++)
        {
            strides[k] = k == 0 ? 1 : strides[k - 1] * shape[k - 1];
        }
        var index = new long[rank];
        long source = 0;
        for (var i = 0; i < c.Length; i++)
        {
            c[i] = fortran[(int)source];
            // Advance the C-order index (last axis fastest), keeping the Fortran offset in step.
            for (var k = rank - 1; k >= 0; k--)
            {
                index[k]++;
                source += strides[k];
                if (index[k] < shape[k])
                {
                    break;
                }
                source -= strides[k] * shape[k];
                index[k] = 0;
            }
        }
    }

    /// <summary>
    /// The subset of Python literal syntax NPY headers use: dicts, tuples, lists, quoted strings, integers,
    /// True/False/None. Anything else is a <see cref="FormatException"/>.
    /// </summary>
    private sealed class PythonLiteral(string text)
    {
        private const int MaxNesting = 8;
        private int _position;

        public object? ParseWhole()
        {
            var value = ParseValue(0);
            SkipSpace();
            return _position == text.Length ? value : throw new FormatException($"unexpected '{text[_position]}' after the dictionary");
        }

        private object? ParseValue(int depth)
        {
            if (depth > MaxNesting)
            {
                throw new FormatException("nested too deeply");
            }
            SkipSpace();
            if (_position >= text.Length)
            {
                throw new FormatException("it ends early");
            }
            var c = text[_position];
            return c switch
            {
                '{' => ParseDictionary(depth),
                '(' => ParseSequence(')', depth),
                '[' => ParseSequence(']', depth),
                '\'' or '"' => ParseString(),
                _ when c == '-' || char.IsAsciiDigit(c) => ParseInteger(),
                _ => ParseWord(),
            };
        }

        private Dictionary<string, object?> ParseDictionary(int depth)
        {
            _position++;
            var result = new Dictionary<string, object?>(StringComparer.Ordinal);
            while (!TryConsume('}'))
            {
                if (ParseValue(depth + 1) is not string key)
                {
                    throw new FormatException("a dictionary key is not a string");
                }
                Expect(':');
                if (!result.TryAdd(key, ParseValue(depth + 1)))
                {
                    throw new FormatException($"key '{key}' appears twice");
                }
                if (!TryConsume(','))
                {
                    Expect('}');
                    break;
                }
            }
            return result;
        }

        private List<object?> ParseSequence(char close, int depth)
        {
            _position++;
            var result = new List<object?>();
            while (!TryConsume(close))
            {
                result.Add(ParseValue(depth + 1));
                if (!TryConsume(','))
                {
                    Expect(close);
                    break;
                }
            }
            return result;
        }

        private string ParseString()
        {
            var quote = text[_position++];
            var end = text.IndexOf(quote, _position);
            if (end < 0 || text.AsSpan(_position, end - _position).Contains('\\'))
            {
                throw new FormatException("a string is unterminated or uses escapes");
            }
            var value = text[_position..end];
            _position = end + 1;
            return value;
        }

        private long ParseInteger()
        {
            var start = _position;
            if (text[_position] == '-')
            {
                _position++;
            }
            while (_position < text.Length && char.IsAsciiDigit(text[_position]))
            {
                _position++;
            }
            var digits = text[start.._position];
            // Python 2 wrote long integers with an L suffix.
            if (_position < text.Length && text[_position] is 'L' or 'l')
            {
                _position++;
            }
            return long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new FormatException($"'{digits}' is not a 64-bit integer");
        }

        private object? ParseWord()
        {
            var start = _position;
            while (_position < text.Length && char.IsAsciiLetter(text[_position]))
            {
                _position++;
            }
            return text[start.._position] switch
            {
                "True" => true,
                "False" => false,
                "None" => null,
                var word => throw new FormatException($"unexpected '{(word.Length > 0 ? word : text[start].ToString())}'"),
            };
        }

        private bool TryConsume(char c)
        {
            SkipSpace();
            if (_position < text.Length && text[_position] == c)
            {
                _position++;
                return true;
            }
            return false;
        }

        private void Expect(char c)
        {
            if (!TryConsume(c))
            {
                throw new FormatException($"expected '{c}'");
            }
        }

        private void SkipSpace()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }
    }
}
