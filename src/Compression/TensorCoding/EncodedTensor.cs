using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.TensorCoding;

/// <summary>How integer codes become the bytes of the runtime ONNX tensor.</summary>
public enum CodeLayout
{
    /// <summary>One signed byte per element (INT8 tensors).</summary>
    Int8,

    /// <summary>One unsigned byte per element (UINT8 tensors).</summary>
    UInt8,

    /// <summary>
    /// Two 4-bit values per byte, low nibble first: ONNX INT4/UINT4 raw data and MatMulNBits' 4-bit B blob.
    /// Signed INT4 keeps the value's low 4 bits (two's complement).
    /// </summary>
    Packed4,

    /// <summary>Four 2-bit values per byte, lowest bits first: MatMulNBits' 2-bit B blob.</summary>
    Packed2,
}

/// <summary>What a compression step knows about a tensor's content, so it travels at its real information size.</summary>
public abstract record TensorEncoding;

/// <summary>The runtime tensor's raw bytes; nothing smaller is known about it.</summary>
public sealed record RawEncoding : TensorEncoding
{
    public static readonly RawEncoding Instance = new();
}

/// <summary>
/// Every runtime element is an integer <c>Codes[i] + Offset</c> with <c>0 ≤ Codes[i] &lt; 2^Bits</c>,
/// laid out in the runtime tensor as <see cref="Layout"/> says.
/// </summary>
public sealed record IntegerCodesEncoding(int Bits, int Offset, CodeLayout Layout, int[] Codes) : TensorEncoding;

/// <summary>Every runtime element is <c>Centroids[Indices[i]]</c> (FLOAT tensors), with indices below 2^Bits.</summary>
public sealed record CodebookEncoding(int Bits, float[] Centroids, int[] Indices) : TensorEncoding;

/// <summary>
/// One initializer of the runnable model together with the form it travels in. <see cref="Materialize"/> turns
/// the encoding back into exactly the tensor the runnable model holds.
/// </summary>
public sealed record EncodedTensor(string Name, DataType DataType, long[] Dims, TensorEncoding Encoding)
{
    public long ElementCount => TensorData.ElementCount(Dims);

    public TensorProto Materialize() => Encoding switch
    {
        IntegerCodesEncoding codes => TensorData.Create(Name, DataType, Dims, PackCodes(codes)),
        CodebookEncoding book => TensorData.CreateFloat(Name, Dims, book.Indices.Select(i => book.Centroids[i]).ToArray()),
        _ => throw new InvalidOperationException($"tensor '{Name}' has no encoding to materialize"),
    };

    /// <summary>Checks that the codes fit the declared bit-width and shape; steps call this before publishing.</summary>
    public void Validate()
    {
        switch (Encoding)
        {
            case IntegerCodesEncoding codes:
                var runtimeBits = ElementCount * TensorData.BitsPerElement((int)DataType);
                if (codes.Codes.LongLength * PackBits(codes.Layout) != runtimeBits || codes.Bits > PackBits(codes.Layout))
                {
                    throw new InvalidOperationException($"tensor '{Name}': {codes.Codes.Length} {codes.Bits}-bit codes do not fill {DataType}{string.Join('x', Dims)} as {codes.Layout}");
                }
                CheckRange(codes.Codes, 1 << codes.Bits);
                break;
            case CodebookEncoding book:
                if (book.Indices.LongLength != ElementCount || book.Centroids.Length > 1 << book.Bits)
                {
                    throw new InvalidOperationException($"tensor '{Name}': codebook does not fit its shape or bit-width");
                }
                CheckRange(book.Indices, book.Centroids.Length);
                break;
        }
    }

    private void CheckRange(int[] values, int limit)
    {
        foreach (var v in values)
        {
            if ((uint)v >= (uint)limit)
            {
                throw new InvalidOperationException($"tensor '{Name}': code {v} outside 0..{limit - 1}");
            }
        }
    }

    private static int PackBits(CodeLayout layout) => layout switch
    {
        CodeLayout.Packed4 => 4,
        CodeLayout.Packed2 => 2,
        _ => 8,
    };

    private static byte[] PackCodes(IntegerCodesEncoding codes)
    {
        var packBits = PackBits(codes.Layout);
        var perByte = 8 / packBits;
        var mask = (1 << packBits) - 1;
        var bytes = new byte[(codes.Codes.Length + perByte - 1) / perByte];
        for (var i = 0; i < codes.Codes.Length; i++)
        {
            var value = (codes.Codes[i] + codes.Offset) & mask;
            bytes[i / perByte] |= (byte)(value << (i % perByte * packBits));
        }
        return bytes;
    }
}
