using System.Buffers.Binary;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.TensorCoding;
using Google.Protobuf;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Artifacts;

/// <summary>Model facts the header carries so a reader can describe an artifact without decoding it.</summary>
public sealed record ArtifactMetadata(
    string ProducerName,
    string ProducerVersion,
    string GraphName,
    long IrVersion,
    IReadOnlyList<(string Domain, long Version)> Opsets);

/// <summary>
/// The decoded header of an artifact: recipe, model metadata, decoded-model hash, skeleton sizes and the
/// tensor table. <see cref="Write"/> and <see cref="Parse"/> are exact inverses. The first
/// <see cref="NestedOffsets"/>.Count tensors are subgraph initializers, each decoded at its offset in the graph skeleton;
/// the rest are main-graph initializers, appended after the skeleton.
/// </summary>
internal sealed record ArtifactTable(
    string RecipeId,
    ArtifactMetadata Metadata,
    long DecodedLength,
    byte[] DecodedSha256,
    int ModelRestLength,
    int GraphRestLength,
    IReadOnlyList<TensorEntry> Tensors)
{
    public const int FixedHeaderLength = 20;

    /// <summary>The version written when every tabled tensor is a main-graph initializer (the layout did not change).</summary>
    public const ushort MainGraphVersion = 2;

    /// <summary>The version written when subgraph initializers are in the table too.</summary>
    public const ushort FormatVersion = 3;
    public static ReadOnlySpan<byte> Magic => "FQA1"u8;

    private const int TagGraph = (7 << 3) | 2;
    private const int TagInitializer = (5 << 3) | 2;
    private const int TagRawData = (9 << 3) | 2;

    /// <summary>
    /// Where in the graph skeleton each subgraph initializer's field goes (non-decreasing): tensor i of the table sits at
    /// NestedOffsets[i]. Empty in version 2.
    /// </summary>
    public IReadOnlyList<long> NestedOffsets { get; init; } = [];

    /// <summary>The format version this table needs.</summary>
    public ushort Version => NestedOffsets.Count > 0 ? FormatVersion : MainGraphVersion;

    public long LargestRawLength => Tensors.Count == 0 ? 0 : Tensors.Max(t => t.RawLength);

    public long LargestPayloadLength => Tensors.Count == 0 ? 0 : Tensors.Max(t => t.PayloadLength);

    public byte[] Write()
    {
        var w = new WireWriter();
        w.String(RecipeId);
        w.String(Metadata.ProducerName);
        w.String(Metadata.ProducerVersion);
        w.String(Metadata.GraphName);
        w.SignedVarint(Metadata.IrVersion);
        w.Varint((ulong)Metadata.Opsets.Count);
        foreach (var (domain, version) in Metadata.Opsets)
        {
            w.String(domain);
            w.SignedVarint(version);
        }
        w.Varint((ulong)DecodedLength);
        w.Bytes(DecodedSha256);
        w.Varint((ulong)ModelRestLength);
        w.Varint((ulong)GraphRestLength);
        w.Varint((ulong)Tensors.Count);
        foreach (var t in Tensors)
        {
            w.LengthPrefixed(t.Prefix);
            w.Byte((byte)t.Kind);
            switch (t.Kind)
            {
                case TensorKind.Sparse:
                    w.Varint((ulong)t.NonZeroCount);
                    break;
                case TensorKind.Codes:
                    w.Byte((byte)t.Bits);
                    w.SignedVarint(t.Offset);
                    w.Byte((byte)t.Layout);
                    break;
                case TensorKind.Codebook:
                    w.Byte((byte)t.Bits);
                    w.Varint((ulong)t.Centroids.Length);
                    foreach (var c in t.Centroids)
                    {
                        w.Single(c);
                    }
                    break;
            }
            foreach (var s in t.Streams)
            {
                w.Byte((byte)s.Codec);
                w.Varint((ulong)s.Length);
            }
        }
        if (NestedOffsets.Count > 0)
        {
            w.Varint((ulong)NestedOffsets.Count);
            var previous = 0L;
            foreach (var offset in NestedOffsets)
            {
                w.Varint((ulong)(offset - previous));
                previous = offset;
            }
        }
        return w.ToArray();
    }

    public static byte[] FixedHeader(int frontCompressedLength, int tableLength, int skeletonLength, ushort version)
    {
        var header = new byte[FixedHeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), frontCompressedLength);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), tableLength);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), skeletonLength);
        return header;
    }

    /// <summary>Checks the fixed header and returns the front frame's compressed length, its table and skeleton lengths and the version.</summary>
    public static (int Compressed, int TableLength, int SkeletonLength, ushort Version) ParseFixedHeader(ReadOnlySpan<byte> header, ArtifactLimits limits)
    {
        if (header.Length < FixedHeaderLength || !header[..4].SequenceEqual(Magic))
        {
            throw new ArtifactException("not a FleetQuant artifact (bad magic; expected 'FQA1')");
        }
        var version = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        if (version is not (MainGraphVersion or FormatVersion))
        {
            throw new ArtifactException($"artifact format version {version} is not supported (this build reads versions {MainGraphVersion} and {FormatVersion})");
        }
        if (BinaryPrimitives.ReadUInt16LittleEndian(header[6..]) != 0)
        {
            throw new ArtifactException("artifact header has unknown flags set");
        }
        var compressed = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        var length = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        var skeleton = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        if (compressed <= 0 || length <= 0 || skeleton < 0 || compressed > limits.MaxTableBytes || (long)length + skeleton > limits.MaxTableBytes)
        {
            throw new ArtifactException($"artifact table/skeleton sizes {compressed}/{length}/{skeleton} are outside 1..{limits.MaxTableBytes}");
        }
        return (compressed, length, skeleton, version);
    }

    /// <summary>
    /// Parses a table. <paramref name="version"/> is the header's; null (a table carried in a delta) lets the table
    /// say itself whether it places subgraph initializers.
    /// </summary>
    public static ArtifactTable Parse(ReadOnlySpan<byte> table, ArtifactLimits limits, ushort? version = null)
    {
        var r = new WireReader(table, message => new ArtifactException("artifact table: " + message));
        var recipe = r.String("recipe id");
        var producer = r.String("producer name");
        var producerVersion = r.String("producer version");
        var graphName = r.String("graph name");
        var irVersion = r.SignedVarint("ir version");
        var opsetCount = (int)r.Bounded("opset count", 1024);
        var opsets = new List<(string, long)>(opsetCount);
        for (var i = 0; i < opsetCount; i++)
        {
            opsets.Add((r.String("opset domain"), r.SignedVarint("opset version")));
        }
        var decodedLength = r.Bounded("decoded length", limits.MaxDecodedBytes);
        var sha = r.Bytes(32, "decoded SHA-256").ToArray();
        var modelRest = (int)r.Bounded("model skeleton length", limits.MaxTableBytes);
        var graphRest = (int)r.Bounded("graph skeleton length", limits.MaxTableBytes - modelRest);
        var count = (int)r.Bounded("tensor count", limits.MaxTensorCount);
        var tensors = new List<TensorEntry>(Math.Min(count, 4096));
        for (var i = 0; i < count; i++)
        {
            tensors.Add(ParseEntry(ref r, limits, i));
        }
        var nested = version == MainGraphVersion || (r.AtEnd && version is null) ? Array.Empty<long>() : ParseNestedOffsets(ref r, count, graphRest);
        if (!r.AtEnd)
        {
            throw new ArtifactException($"artifact table has {r.Remaining} unexpected trailing bytes");
        }
        var parsed = new ArtifactTable(recipe, new ArtifactMetadata(producer, producerVersion, graphName, irVersion, opsets),
            decodedLength, sha, modelRest, graphRest, tensors) { NestedOffsets = nested };
        if (parsed.ComputeDecodedLength() != decodedLength)
        {
            throw new ArtifactException($"artifact table declares a {decodedLength}-byte model but its parts add up to {parsed.ComputeDecodedLength()}");
        }
        return parsed;
    }

    private static long[] ParseNestedOffsets(ref WireReader r, int tensorCount, int graphRest)
    {
        var count = (int)r.Bounded("subgraph tensor count", tensorCount);
        if (count == 0)
        {
            throw new ArtifactException("artifact table: a version 3 table places no subgraph tensor");
        }
        var offsets = new long[count];
        var previous = 0L;
        for (var i = 0; i < count; i++)
        {
            previous += r.Bounded("subgraph tensor offset", graphRest - previous);
            offsets[i] = previous;
        }
        return offsets;
    }

    private static TensorEntry ParseEntry(ref WireReader r, ArtifactLimits limits, int index)
    {
        var where = $"tensor #{index}";
        var prefix = r.LengthPrefixed(where + " header").ToArray();
        TensorProto proto;
        try
        {
            proto = TensorProto.Parser.ParseFrom(prefix);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ArtifactException($"artifact table: {where} header is not a TensorProto ({ex.Message})", ex);
        }
        where = $"tensor '{proto.Name}'";
        var bitsPerElement = TensorData.BitsPerElement(proto.DataType);
        if (bitsPerElement <= 0 || !proto.RawData.IsEmpty || proto.FloatData.Count + proto.Int32Data.Count + proto.Int64Data.Count
            + proto.DoubleData.Count + proto.Uint64Data.Count + proto.StringData.Count > 0 || proto.DataLocation != TensorProto.Types.DataLocation.Default)
        {
            throw new ArtifactException($"artifact table: {where} header has data, external data or an unsupported type");
        }
        long elements;
        try
        {
            elements = TensorData.ElementCount(proto);
        }
        catch (Exception ex) when (ex is OverflowException or OnnxModelException)
        {
            throw new ArtifactException($"artifact table: {where} has an invalid shape", ex);
        }
        if (elements > limits.MaxDecodedBytes)
        {
            throw new ArtifactException($"artifact table: {where} declares {elements} elements, over the {limits.MaxDecodedBytes}-byte decode limit");
        }
        var rawLength = (elements * bitsPerElement + 7) / 8;
        if (rawLength > limits.MaxDecodedBytes)
        {
            throw new ArtifactException($"artifact table: {where} needs {rawLength} bytes, over the decode limit");
        }

        var kind = (TensorKind)r.Byte(where + " kind");
        long nonZero = 0;
        var bits = 0;
        var offset = 0;
        var layout = CodeLayout.Int8;
        float[] centroids = [];
        switch (kind)
        {
            case TensorKind.Raw:
                break;
            case TensorKind.Sparse:
                if (bitsPerElement % 8 != 0)
                {
                    throw new ArtifactException($"artifact table: {where} is sparse but its elements are not whole bytes");
                }
                nonZero = r.Bounded(where + " non-zero count", elements);
                break;
            case TensorKind.Codes:
                bits = r.Byte(where + " code bits");
                var rawOffset = r.SignedVarint(where + " code offset");
                offset = rawOffset is >= -256 and <= 256 ? (int)rawOffset : throw new ArtifactException($"artifact table: {where} code offset {rawOffset} is outside -256..256");
                layout = (CodeLayout)r.Byte(where + " code layout");
                if (!Enum.IsDefined(layout) || bits is < 1 or > 8 || bits > TensorEntry.PackBits(layout)
                    || elements * bitsPerElement % TensorEntry.PackBits(layout) != 0)
                {
                    throw new ArtifactException($"artifact table: {where} has {bits}-bit codes in layout {layout} that do not fit {(DataType)proto.DataType}");
                }
                break;
            case TensorKind.Codebook:
                bits = r.Byte(where + " index bits");
                if (bits is < 1 or > 8 || proto.DataType != (int)DataType.Float)
                {
                    throw new ArtifactException($"artifact table: {where} codebook needs FLOAT and 1..8 index bits");
                }
                var k = (int)r.Bounded(where + " centroid count", 1 << bits);
                centroids = new float[k];
                for (var i = 0; i < k; i++)
                {
                    centroids[i] = r.Single(where + " centroid");
                }
                break;
            default:
                throw new ArtifactException($"artifact table: {where} has unknown kind {(byte)kind}");
        }

        var elementBytes = bitsPerElement >= 8 && bitsPerElement % 8 == 0 ? bitsPerElement / 8 : 1;
        var shapes = TensorEntry.Shapes(kind, proto.DataType, elements, rawLength, elementBytes, nonZero, bits, layout);
        var streams = new StreamSlot[shapes.Length];
        for (var i = 0; i < shapes.Length; i++)
        {
            var codec = (StreamCodec)r.Byte(where + " stream codec");
            if (!Enum.IsDefined(codec))
            {
                throw new ArtifactException($"artifact table: {where} stream {i} has unknown codec {(byte)codec}");
            }
            // The packer never keeps a coding larger than the plain bit-packed stream.
            var packed = StreamCoder.PackedLength(shapes[i].Count, shapes[i].Bits);
            var length = r.Bounded(where + " stream length", packed);
            if (codec == StreamCodec.Stored && length != packed)
            {
                throw new ArtifactException($"artifact table: {where} stored stream {i} is {length} bytes, its symbols need {packed}");
            }
            streams[i] = new StreamSlot(codec, (int)length);
        }

        return new TensorEntry
        {
            Prefix = prefix,
            Name = proto.Name,
            DataType = proto.DataType,
            ElementCount = elements,
            RawLength = rawLength,
            Kind = kind,
            NonZeroCount = nonZero,
            Bits = bits,
            Offset = offset,
            Layout = layout,
            Centroids = centroids,
            Streams = streams,
        };
    }

    public long TensorFieldLength(TensorEntry t) => t.Prefix.Length + 1 + WireWriter.VarintSize((ulong)t.RawLength) + t.RawLength;

    public long GraphLength() => GraphRestLength + Tensors.Sum(t => 1 + WireWriter.VarintSize((ulong)TensorFieldLength(t)) + TensorFieldLength(t));

    public long ComputeDecodedLength()
    {
        var graph = GraphLength();
        return ModelRestLength + 1 + WireWriter.VarintSize((ulong)graph) + graph;
    }

    /// <summary>
    /// Writes the model skeleton and opens the graph field, whose length covers every tensor to come, then the graph
    /// skeleton up to where the first subgraph tensor goes (all of it when there is none).
    /// </summary>
    public void WriteModelStart(Stream output, ReadOnlySpan<byte> skeleton)
    {
        output.Write(skeleton[..ModelRestLength]);
        output.WriteByte(TagGraph);
        WriteVarint(output, (ulong)GraphLength());
        output.Write(GraphSegment(skeleton, -1));
    }

    /// <summary>After tensor <paramref name="index"/> is written: the graph skeleton up to the next subgraph tensor, or its rest.</summary>
    public void WriteAfterTensor(Stream output, ReadOnlySpan<byte> skeleton, int index)
    {
        if (index < NestedOffsets.Count)
        {
            output.Write(GraphSegment(skeleton, index));
        }
    }

    /// <summary>
    /// The graph skeleton as a parseable GraphProto: subgraph tensors are put back with zero bytes for their data
    /// (their fields must be there for the enclosing lengths to hold).
    /// </summary>
    public GraphProto ParseGraphSkeleton(ReadOnlySpan<byte> skeleton)
    {
        if (NestedOffsets.Count == 0)
        {
            return GraphProto.Parser.ParseFrom(skeleton.Slice(ModelRestLength, GraphRestLength));
        }
        using var graph = new MemoryStream();
        graph.Write(GraphSegment(skeleton, -1));
        for (var i = 0; i < NestedOffsets.Count; i++)
        {
            WriteTensorStart(graph, Tensors[i]);
            graph.Write(new byte[Tensors[i].RawLength]);
            WriteAfterTensor(graph, skeleton, i);
        }
        return GraphProto.Parser.ParseFrom(graph.ToArray());
    }

    /// <summary>The graph skeleton after subgraph tensor <paramref name="after"/> (-1: from the start) up to the next one.</summary>
    private ReadOnlySpan<byte> GraphSegment(ReadOnlySpan<byte> skeleton, int after)
    {
        var start = after < 0 ? 0 : NestedOffsets[after];
        var end = after + 1 < NestedOffsets.Count ? NestedOffsets[after + 1] : GraphRestLength;
        return skeleton.Slice(ModelRestLength + (int)start, (int)(end - start));
    }

    /// <summary>Writes an initializer field up to the start of its raw_data bytes.</summary>
    public void WriteTensorStart(Stream output, TensorEntry t)
    {
        output.WriteByte(TagInitializer);
        WriteVarint(output, (ulong)TensorFieldLength(t));
        output.Write(t.Prefix);
        output.WriteByte(TagRawData);
        WriteVarint(output, (ulong)t.RawLength);
    }

    private static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        output.WriteByte((byte)value);
    }
}
