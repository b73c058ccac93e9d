using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.TensorCoding;

namespace FleetQuant.Compression.Artifacts;

/// <summary>How a tensor's runtime bytes are described by its symbol streams.</summary>
public enum TensorKind : byte
{
    /// <summary>Byte planes: stream j holds byte j of every element.</summary>
    Raw = 0,

    /// <summary>A 1-bit non-zero mask, then byte planes of the non-zero elements only.</summary>
    Sparse = 1,

    /// <summary>Integer codes at their real bit width, laid out at runtime as the entry's <see cref="CodeLayout"/>.</summary>
    Codes = 2,

    /// <summary>Codebook indices; the centroids sit in the tensor table.</summary>
    Codebook = 3,
}

/// <summary>The width, count and coding of one symbol stream of a tensor.</summary>
internal readonly record struct StreamShape(long Count, int Bits);

/// <summary>One coded stream: its codec and its coded length in the payload.</summary>
internal readonly record struct StreamSlot(StreamCodec Codec, int Length);

/// <summary>
/// One initializer in the tensor table: its TensorProto header (every field but raw_data, as protobuf bytes),
/// how its contents are coded, and where its streams sit.
/// </summary>
internal sealed record TensorEntry
{
    public required byte[] Prefix { get; init; }

    public required string Name { get; init; }

    public required int DataType { get; init; }

    public required long ElementCount { get; init; }

    /// <summary>Length of raw_data in the decoded model.</summary>
    public required long RawLength { get; init; }

    public required TensorKind Kind { get; init; }

    /// <summary>Sparse: how many elements are non-zero.</summary>
    public long NonZeroCount { get; init; }

    /// <summary>Codes and codebook: symbol width.</summary>
    public int Bits { get; init; }

    public int Offset { get; init; }

    public CodeLayout Layout { get; init; }

    public float[] Centroids { get; init; } = [];

    public required StreamSlot[] Streams { get; init; }

    public long PayloadLength => Streams.Sum(s => (long)s.Length);

    /// <summary>Bytes per element for Raw and Sparse entries.</summary>
    public int ElementBytes => TensorData.BitsPerElement(DataType) is var bits and >= 8 && bits % 8 == 0 ? bits / 8 : 1;

    public StreamShape[] Shapes() => Shapes(Kind, DataType, ElementCount, RawLength, ElementBytes, NonZeroCount, Bits, Layout);

    public static StreamShape[] Shapes(TensorKind kind, int dataType, long elements, long rawLength, int elementBytes, long nonZero, int bits, CodeLayout layout) => kind switch
    {
        TensorKind.Raw => Enumerable.Repeat(new StreamShape(rawLength / elementBytes, 8), elementBytes).ToArray(),
        TensorKind.Sparse => [new StreamShape(elements, 1), .. Enumerable.Repeat(new StreamShape(nonZero, 8), elementBytes)],
        TensorKind.Codes => [new StreamShape(CodeCount(dataType, elements, layout), bits)],
        TensorKind.Codebook => [new StreamShape(elements, bits)],
        _ => throw new ArtifactException($"unknown tensor kind {(byte)kind}"),
    };

    public static int PackBits(CodeLayout layout) => layout switch
    {
        CodeLayout.Packed4 => 4,
        CodeLayout.Packed2 => 2,
        _ => 8,
    };

    /// <summary>Codes in a runtime tensor: its bits split into slots of the layout's width.</summary>
    public static long CodeCount(int dataType, long elements, CodeLayout layout) =>
        elements * Math.Max(TensorData.BitsPerElement(dataType), 0) / PackBits(layout);
}
