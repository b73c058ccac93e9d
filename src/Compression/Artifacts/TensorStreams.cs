using System.Buffers.Binary;
using FleetQuant.Compression.TensorCoding;

namespace FleetQuant.Compression.Artifacts;

/// <summary>
/// Maps between a tensor's runtime bytes and its symbol streams: splitting on the way in, and streaming the
/// runtime bytes back out of stream readers on the way out, a small buffer at a time.
/// </summary>
internal static class TensorStreams
{
    public const int ChunkBytes = 64 * 1024;

    public static byte[][] Planes(ReadOnlySpan<byte> raw, int elementBytes)
    {
        var count = raw.Length / elementBytes;
        var planes = new byte[elementBytes][];
        for (var j = 0; j < elementBytes; j++)
        {
            var plane = new byte[count];
            for (var i = 0; i < count; i++)
            {
                plane[i] = raw[i * elementBytes + j];
            }
            planes[j] = plane;
        }
        return planes;
    }

    public static long CountNonZero(ReadOnlySpan<byte> raw, int elementBytes)
    {
        long nonZero = 0;
        for (var i = 0; i < raw.Length; i += elementBytes)
        {
            if (raw.Slice(i, elementBytes).ContainsAnyExcept((byte)0))
            {
                nonZero++;
            }
        }
        return nonZero;
    }

    /// <summary>Mask (1 = element has a non-zero byte) followed by the byte planes of the non-zero elements.</summary>
    public static byte[][] Sparse(ReadOnlySpan<byte> raw, int elementBytes)
    {
        var count = raw.Length / elementBytes;
        var nonZero = (int)CountNonZero(raw, elementBytes);
        var streams = new byte[elementBytes + 1][];
        streams[0] = new byte[count];
        for (var j = 1; j <= elementBytes; j++)
        {
            streams[j] = new byte[nonZero];
        }
        var k = 0;
        for (var i = 0; i < count; i++)
        {
            var element = raw.Slice(i * elementBytes, elementBytes);
            if (!element.ContainsAnyExcept((byte)0))
            {
                continue;
            }
            streams[0][i] = 1;
            for (var j = 0; j < elementBytes; j++)
            {
                streams[j + 1][k] = element[j];
            }
            k++;
        }
        return streams;
    }

    /// <summary>Writes the entry's <see cref="TensorEntry.RawLength"/> runtime bytes from its stream readers.</summary>
    public static void Emit(TensorEntry entry, ISymbolReader[] readers, Stream output, byte[] chunk)
    {
        var sink = new ChunkSink(output, chunk);
        switch (entry.Kind)
        {
            case TensorKind.Raw:
                EmitRaw(entry, readers, ref sink);
                break;
            case TensorKind.Sparse:
                EmitSparse(entry, readers, ref sink);
                break;
            case TensorKind.Codes:
                EmitCodes(entry, readers[0], ref sink);
                break;
            case TensorKind.Codebook:
                EmitCodebook(entry, readers[0], ref sink);
                break;
        }
        sink.Flush();
        foreach (var reader in readers)
        {
            reader.Finish();
        }
        if (sink.Written != entry.RawLength)
        {
            throw new ArtifactException($"tensor '{entry.Name}': decoded {sink.Written} bytes, its shape needs {entry.RawLength}");
        }
    }

    private static void EmitRaw(TensorEntry entry, ISymbolReader[] planes, ref ChunkSink sink)
    {
        var count = entry.RawLength / planes.Length;
        for (long i = 0; i < count; i++)
        {
            foreach (var plane in planes)
            {
                sink.Put((byte)plane.Next());
            }
        }
    }

    private static void EmitSparse(TensorEntry entry, ISymbolReader[] streams, ref ChunkSink sink)
    {
        var width = streams.Length - 1;
        for (long i = 0; i < entry.ElementCount; i++)
        {
            var present = streams[0].Next() != 0;
            for (var j = 1; j <= width; j++)
            {
                sink.Put(present ? (byte)streams[j].Next() : (byte)0);
            }
        }
    }

    private static void EmitCodes(TensorEntry entry, ISymbolReader codes, ref ChunkSink sink)
    {
        var packBits = TensorEntry.PackBits(entry.Layout);
        var mask = (1 << packBits) - 1;
        var count = TensorEntry.CodeCount(entry.DataType, entry.ElementCount, entry.Layout);
        var current = 0;
        var filled = 0;
        for (long i = 0; i < count; i++)
        {
            current |= ((codes.Next() + entry.Offset) & mask) << filled;
            filled += packBits;
            if (filled == 8)
            {
                sink.Put((byte)current);
                current = 0;
                filled = 0;
            }
        }
        if (filled > 0)
        {
            sink.Put((byte)current);
        }
    }

    private static void EmitCodebook(TensorEntry entry, ISymbolReader indices, ref ChunkSink sink)
    {
        Span<byte> value = stackalloc byte[4];
        for (long i = 0; i < entry.ElementCount; i++)
        {
            var index = indices.Next();
            if (index >= entry.Centroids.Length)
            {
                throw new ArtifactException($"tensor '{entry.Name}': codebook index {index} but only {entry.Centroids.Length} centroids");
            }
            BinaryPrimitives.WriteSingleLittleEndian(value, entry.Centroids[index]);
            foreach (var b in value)
            {
                sink.Put(b);
            }
        }
    }

    /// <summary>Symbol streams of an <see cref="IntegerCodesEncoding"/> or <see cref="CodebookEncoding"/>.</summary>
    public static byte[] Symbols(int[] values) => values.Select(v => (byte)v).ToArray();

    private ref struct ChunkSink(Stream output, byte[] chunk)
    {
        private int _used;

        public long Written { get; private set; }

        public void Put(byte value)
        {
            chunk[_used++] = value;
            if (_used == chunk.Length)
            {
                Flush();
            }
        }

        public void Flush()
        {
            output.Write(chunk, 0, _used);
            Written += _used;
            _used = 0;
        }
    }
}

/// <summary>Reads symbols from an array already in memory (packing and delta paths).</summary>
internal sealed class ArraySymbolReader(byte[] symbols) : ISymbolReader
{
    private int _position;

    public int Next() => _position < symbols.Length
        ? symbols[_position++]
        : throw new ArtifactException("a stream was read past its declared symbol count");

    public void Finish()
    {
        if (_position != symbols.Length)
        {
            throw new ArtifactException($"a stream holds {symbols.Length} symbols but {_position} were used");
        }
    }
}
