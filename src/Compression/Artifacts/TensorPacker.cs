using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.TensorCoding;
using Google.Protobuf;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Artifacts;

/// <summary>A tensor's table entry together with its coded streams, in order.</summary>
internal sealed record PackedTensor(TensorEntry Entry, byte[][] StreamData)
{
    public long Size => Entry.PayloadLength + Entry.Centroids.Length * 4L;
}

/// <summary>
/// Chooses, per tensor, the description (codes, codebook, byte planes, sparse planes) and per stream the
/// codec that give the fewest bytes, keeping only descriptions proven to rebuild the runtime bytes exactly.
/// </summary>
internal static class TensorPacker
{
    /// <summary>
    /// The step's own description (codes, codebook) is kept unless a generic one is clearly smaller: a stable
    /// description lets the next version's delta work on codes instead of shipping the tensor whole.
    /// </summary>
    private const double DescribedSlack = 1.02;

    /// <summary>Below this share of zero elements a mask costs more than it saves; skip trying it.</summary>
    private const double MinZeroShareForSparse = 0.02;

    /// <summary>Whether <paramref name="tensor"/> can go into the tensor table (fixed-width raw data, nothing else).</summary>
    public static bool CanPack(TensorProto tensor)
    {
        var bits = TensorData.BitsPerElement(tensor.DataType);
        return bits > 0
            && tensor.DataLocation == TensorProto.Types.DataLocation.Default
            && tensor.FloatData.Count + tensor.Int32Data.Count + tensor.Int64Data.Count + tensor.DoubleData.Count + tensor.Uint64Data.Count == 0
            && tensor.Dims.All(d => d >= 0)
            && tensor.RawData.Length == TensorData.ByteSize(tensor);
    }

    /// <param name="zstdLevel">The zstd level of the codec trials: <see cref="StreamCoder.ZstdLevel"/> for artifacts, lower
    /// for <see cref="ArtifactWriter.EstimateLength"/>.</param>
    public static PackedTensor Pack(TensorProto tensor, EncodedTensor? encoding, int zstdLevel = StreamCoder.ZstdLevel)
    {
        var header = tensor.Clone();
        header.RawData = ByteString.Empty;
        var prefix = header.ToByteArray();
        var raw = tensor.RawData.Span;
        var elements = TensorData.ElementCount(tensor);
        var bitsPerElement = TensorData.BitsPerElement(tensor.DataType);
        var template = new TensorEntry
        {
            Prefix = prefix,
            Name = tensor.Name,
            DataType = tensor.DataType,
            ElementCount = elements,
            RawLength = raw.Length,
            Kind = TensorKind.Raw,
            Streams = [],
        };

        PackedTensor? describedBest = null;
        if (encoding is not null && Describe(template, encoding) is { } described)
        {
            var (entry, symbols) = described;
            if (Rebuilds(entry, symbols, raw))
            {
                describedBest = Encode(entry, symbols, zstdLevel);
            }
        }

        var candidates = new List<PackedTensor>();

        var elementBytes = template.ElementBytes;
        candidates.Add(Encode(template, TensorStreams.Planes(raw, elementBytes), zstdLevel));
        if (bitsPerElement % 8 == 0 && elements > 0)
        {
            var nonZero = TensorStreams.CountNonZero(raw, elementBytes);
            if (elements - nonZero >= MinZeroShareForSparse * elements)
            {
                candidates.Add(Encode(template with { Kind = TensorKind.Sparse, NonZeroCount = nonZero }, TensorStreams.Sparse(raw, elementBytes), zstdLevel));
            }
        }
        var generic = candidates.MinBy(c => c.Size)!;
        return describedBest is not null && describedBest.Size <= generic.Size * DescribedSlack ? describedBest : generic;
    }

    /// <summary>Codes each stream with its smallest codec.</summary>
    public static PackedTensor Encode(TensorEntry entry, byte[][] symbols, int zstdLevel = StreamCoder.ZstdLevel)
    {
        var shapes = entry.Shapes();
        var slots = new StreamSlot[symbols.Length];
        var data = new byte[symbols.Length][];
        for (var i = 0; i < symbols.Length; i++)
        {
            var (codec, bytes) = StreamCoder.EncodeForArtifact(symbols[i], shapes[i].Bits, zstdLevel);
            slots[i] = new StreamSlot(codec, bytes.Length);
            data[i] = bytes;
        }
        return new PackedTensor(entry with { Streams = slots }, data);
    }

    /// <summary>Codes each stream with the codec <paramref name="entry"/> names (rebuilding a known artifact).</summary>
    public static byte[][] EncodeAs(TensorEntry entry, byte[][] symbols)
    {
        var shapes = entry.Shapes();
        var data = new byte[symbols.Length][];
        for (var i = 0; i < symbols.Length; i++)
        {
            data[i] = StreamCoder.Encode(symbols[i], shapes[i].Bits, entry.Streams[i].Codec);
        }
        return data;
    }

    private static (TensorEntry, byte[][])? Describe(TensorEntry template, EncodedTensor encoding)
    {
        switch (encoding.Encoding)
        {
            case IntegerCodesEncoding codes when codes.Bits is >= 1 and <= 8 && codes.Offset is >= -256 and <= 256:
                var entry = template with { Kind = TensorKind.Codes, Bits = codes.Bits, Offset = codes.Offset, Layout = codes.Layout };
                var count = TensorEntry.CodeCount(entry.DataType, entry.ElementCount, entry.Layout);
                return codes.Codes.LongLength == count && codes.Bits <= TensorEntry.PackBits(codes.Layout)
                    ? (entry, [TensorStreams.Symbols(codes.Codes)])
                    : null;
            case CodebookEncoding book when book.Bits is >= 1 and <= 8 && template.DataType == (int)DataType.Float
                && book.Centroids.Length <= 1 << book.Bits && book.Indices.LongLength == template.ElementCount:
                return (template with { Kind = TensorKind.Codebook, Bits = book.Bits, Centroids = book.Centroids }, [TensorStreams.Symbols(book.Indices)]);
            default:
                return null;
        }
    }

    /// <summary>True when the description decodes to exactly the runtime bytes (the model is the truth).</summary>
    private static bool Rebuilds(TensorEntry entry, byte[][] symbols, ReadOnlySpan<byte> raw)
    {
        var shapes = entry.Shapes();
        for (var i = 0; i < shapes.Length; i++)
        {
            if (symbols[i].LongLength != shapes[i].Count || symbols[i].Any(s => s >> shapes[i].Bits != 0))
            {
                return false;
            }
        }
        using var rebuilt = new MemoryStream((int)entry.RawLength);
        try
        {
            TensorStreams.Emit(entry, symbols.Select(s => (ISymbolReader)new ArraySymbolReader(s)).ToArray(), rebuilt, new byte[TensorStreams.ChunkBytes]);
        }
        catch (ArtifactException)
        {
            return false;
        }
        return rebuilt.GetBuffer().AsSpan(0, (int)rebuilt.Length).SequenceEqual(raw);
    }
}
