using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using Google.Protobuf;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.TensorCoding;

/// <summary>
/// The wire size used until the artifact container exists: the graph skeleton (the model with initializer data
/// removed) followed by every initializer in its encoded form — integer codes bit-packed at their width,
/// codebooks as centroids plus packed indices, FLOAT tensors with many exact zeros as a bitmap plus the
/// non-zeros, everything else raw — compressed as one stream with zstd level 19. Deterministic.
/// </summary>
public static class InterimWireSize
{
    public const int ZstdLevel = 19;

    /// <summary>FLOAT tensors with at least this fraction of exact zeros travel as bitmap + non-zeros.</summary>
    public const double SparseZeroFraction = 0.1;

    private const byte RawTag = 0;
    private const byte CodesTag = 1;
    private const byte CodebookTag = 2;
    private const byte SparseTag = 3;

    /// <summary>Wire bytes of a compressed model.</summary>
    public static long Measure(CompressedModel compressed) => Compress(WireStream(compressed)).LongLength;

    /// <summary>Wire bytes of an uncompressed model (every tensor raw or sparse).</summary>
    public static long Measure(ModelProto model) => Measure(Uncompressed(model));

    /// <summary>
    /// Wire bytes of just the named initializers in their encoded form (no skeleton): what a single layer costs,
    /// for budgeting mixed precision.
    /// </summary>
    public static long MeasureTensors(CompressedModel compressed, IReadOnlyCollection<string> names)
    {
        using var stream = new MemoryStream();
        foreach (var tensor in Initializers(compressed.Model).Where(t => names.Contains(t.Name)))
        {
            WriteTensor(stream, tensor, compressed.Encodings.GetValueOrDefault(tensor.Name));
        }
        return stream.Length == 0 ? 0 : Compress(stream.ToArray()).LongLength;
    }

    /// <summary>The uncompressed byte stream that zstd compresses (skeleton length, skeleton, tensors).</summary>
    public static byte[] WireStream(CompressedModel compressed)
    {
        using var stream = new MemoryStream();
        var skeleton = Skeleton(compressed.Model).ToByteArray();
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, skeleton.Length);
        stream.Write(length);
        stream.Write(skeleton);
        foreach (var tensor in Initializers(compressed.Model))
        {
            WriteTensor(stream, tensor, compressed.Encodings.GetValueOrDefault(tensor.Name));
        }
        return stream.ToArray();
    }

    internal static CompressedModel Uncompressed(ModelProto model) =>
        new(model, Recipe.Fp32, new Dictionary<string, EncodedTensor>(), []);

    private static IEnumerable<TensorProto> Initializers(ModelProto model) => OnnxGraphs.All(model).SelectMany(g => g.Initializer);

    private static ModelProto Skeleton(ModelProto model)
    {
        var skeleton = model.Clone();
        foreach (var tensor in Initializers(skeleton))
        {
            if (tensor.DataType == (int)DataType.String)
            {
                continue;
            }
            tensor.RawData = ByteString.Empty;
            tensor.FloatData.Clear();
            tensor.Int32Data.Clear();
            tensor.Int64Data.Clear();
            tensor.DoubleData.Clear();
            tensor.Uint64Data.Clear();
        }
        return skeleton;
    }

    private static void WriteTensor(Stream stream, TensorProto tensor, EncodedTensor? encoded)
    {
        switch (encoded?.Encoding)
        {
            case IntegerCodesEncoding codes:
                stream.WriteByte(CodesTag);
                stream.WriteByte((byte)codes.Bits);
                WriteInt(stream, codes.Offset);
                stream.Write(PackBits(codes.Codes, codes.Bits));
                return;
            case CodebookEncoding book:
                stream.WriteByte(CodebookTag);
                stream.WriteByte((byte)book.Bits);
                WriteInt(stream, book.Centroids.Length);
                stream.Write(MemoryMarshal.AsBytes(book.Centroids.AsSpan()));
                stream.Write(PackBits(book.Indices, book.Bits));
                return;
        }

        if (tensor.DataType == (int)DataType.String)
        {
            return; // strings stay in the skeleton
        }
        var raw = RawBytes(tensor);
        if (tensor.DataType == (int)DataType.Float && WriteSparse(stream, MemoryMarshal.Cast<byte, float>(raw)))
        {
            return;
        }
        stream.WriteByte(RawTag);
        stream.Write(raw);
    }

    private static bool WriteSparse(Stream stream, ReadOnlySpan<float> values)
    {
        var zeros = 0;
        foreach (var v in values)
        {
            if (BitConverter.SingleToInt32Bits(v) == 0)
            {
                zeros++;
            }
        }
        if (values.Length == 0 || zeros < values.Length * SparseZeroFraction)
        {
            return false;
        }

        // Only +0.0 counts as zero, so -0.0 and every other value round-trip bit for bit.
        var bitmap = new byte[(values.Length + 7) / 8];
        var nonZeros = new float[values.Length - zeros];
        var at = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(values[i]) != 0)
            {
                bitmap[i >> 3] |= (byte)(1 << (i & 7));
                nonZeros[at++] = values[i];
            }
        }
        stream.WriteByte(SparseTag);
        stream.Write(bitmap);
        stream.Write(MemoryMarshal.AsBytes(nonZeros.AsSpan()));
        return true;
    }

    private static ReadOnlySpan<byte> RawBytes(TensorProto tensor)
    {
        if (!tensor.RawData.IsEmpty || TensorData.ByteSize(tensor) == 0)
        {
            return tensor.RawData.Span;
        }
        var copy = tensor.Clone();
        TensorData.NormalizeToRaw(copy);
        return copy.RawData.Span;
    }

    /// <summary>Packs codes below 2^bits into a bit stream, lowest bits first.</summary>
    internal static byte[] PackBits(ReadOnlySpan<int> values, int bits)
    {
        if (bits is < 1 or > 24)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "bit width must be 1 to 24");
        }
        var bytes = new byte[(values.Length * (long)bits + 7) / 8];
        var mask = (1UL << bits) - 1;
        ulong pending = 0;
        var pendingBits = 0;
        var at = 0;
        foreach (var v in values)
        {
            pending |= ((ulong)(uint)v & mask) << pendingBits;
            pendingBits += bits;
            while (pendingBits >= 8)
            {
                bytes[at++] = (byte)pending;
                pending >>= 8;
                pendingBits -= 8;
            }
        }
        if (pendingBits > 0)
        {
            bytes[at] = (byte)pending;
        }
        return bytes;
    }

    private static void WriteInt(Stream stream, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        stream.Write(bytes);
    }

    private static byte[] Compress(byte[] data)
    {
        using var compressor = new ZstdSharp.Compressor(ZstdLevel);
        return compressor.Wrap(data).ToArray();
    }
}
