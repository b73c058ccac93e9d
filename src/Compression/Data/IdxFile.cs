using System.Buffers.Binary;
using System.IO.Compression;

namespace FleetQuant.Compression.Data;

/// <summary>
/// Reads and writes IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed. Only unsigned-byte
/// payloads are supported: magic 0x00000801 for labels, 0x00000803 for images. Every declared size is checked
/// against a cap and against the bytes really present, so a hostile header cannot force a large allocation.
/// </summary>
public static class IdxFile
{
    /// <summary>Largest payload accepted (the full Fashion-MNIST training images are 47 MB).</summary>
    public const long MaxPayloadBytes = 256L * 1024 * 1024;

    private const byte UnsignedByteType = 0x08;
    private const int MaxDimensions = 4;
    private const int ReadChunkBytes = 1 << 20;

    public static IdxArray Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"IDX file not found: {path}", path);
        }

        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads one IDX array; gzip is detected from the stream's first two bytes.</summary>
    public static IdxArray Read(Stream stream, string label = "IDX data")
    {
        var buffered = stream.CanSeek ? stream : CopyBounded(stream, label);
        var start = buffered.Position;
        var first = new byte[2];
        var peeked = buffered.ReadAtLeast(first, 2, throwOnEndOfStream: false);
        buffered.Position = start;
        if (peeked == 2 && first[0] == 0x1f && first[1] == 0x8b)
        {
            using var gzip = new GZipStream(buffered, CompressionMode.Decompress, leaveOpen: true);
            return ReadUncompressed(gzip, knownLength: null, label);
        }

        return ReadUncompressed(buffered, buffered.Length - start, label);
    }

    /// <summary>Writes an unsigned-byte IDX array, gzip-compressed when the path ends in ".gz".</summary>
    public static void Write(string path, IdxArray array)
    {
        if (array.Dimensions.Length is 0 or > MaxDimensions || array.Dimensions.Any(d => d < 0))
        {
            throw new ArgumentException($"IDX arrays have 1 to {MaxDimensions} non-negative dimensions", nameof(array));
        }
        if (TensorCount(array.Dimensions) != array.Values.Length)
        {
            throw new ArgumentException($"{array.Values.Length} values do not match dimensions [{string.Join(",", array.Dimensions)}]", nameof(array));
        }

        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp-" + Environment.ProcessId;
        using (var file = File.Create(temp))
        {
            // mtime stays zero in .NET's gzip header, so the same array always gives the same bytes.
            using Stream output = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(file, CompressionLevel.SmallestSize, leaveOpen: true)
                : file;
            var header = new byte[4 + 4 * array.Dimensions.Length];
            header[2] = UnsignedByteType;
            header[3] = (byte)array.Dimensions.Length;
            for (var i = 0; i < array.Dimensions.Length; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), array.Dimensions[i]);
            }
            output.Write(header);
            output.Write(array.Values);
        }
        File.Move(temp, full, overwrite: true);
    }

    private static IdxArray ReadUncompressed(Stream stream, long? knownLength, string label)
    {
        var magic = new byte[4];
        DataStreams.ReadExactly(stream, magic, label, "IDX", "its magic number");
        if (magic[0] != 0 || magic[1] != 0)
        {
            throw new InvalidDataException($"{label}: not an IDX file (magic 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):x8}; expected 0x00000801 labels or 0x00000803 images)");
        }
        if (magic[2] != UnsignedByteType)
        {
            throw new InvalidDataException($"{label}: IDX element type 0x{magic[2]:x2} is not supported (only unsigned bytes, 0x08)");
        }
        var rank = magic[3];
        if (rank is 0 or > MaxDimensions)
        {
            throw new InvalidDataException($"{label}: IDX file declares {rank} dimensions (1 to {MaxDimensions} supported)");
        }

        var dimensionBytes = new byte[4 * rank];
        DataStreams.ReadExactly(stream, dimensionBytes, label, "IDX", "its dimensions");
        var dimensions = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(dimensionBytes.AsSpan(4 * i));
            if (dimensions[i] < 0)
            {
                throw new InvalidDataException($"{label}: IDX dimension {i} is negative ({dimensions[i]})");
            }
        }

        var declared = TensorCount(dimensions);
        if (declared > MaxPayloadBytes)
        {
            throw new InvalidDataException($"{label}: IDX header declares {declared} bytes of data [{string.Join("x", dimensions)}], over the {MaxPayloadBytes}-byte limit");
        }
        var available = knownLength - 4 - dimensionBytes.Length;
        if (available < declared)
        {
            throw new InvalidDataException($"{label}: IDX file is truncated: header declares {declared} bytes of data, file holds {available}");
        }

        var values = ReadPayload(stream, (int)declared, label);
        return new IdxArray(dimensions, values);
    }

    /// <summary>
    /// Grows the buffer as bytes really arrive, so a gzip stream whose header lies about its size costs only the
    /// memory its actual content needs before being rejected as truncated.
    /// </summary>
    private static byte[] ReadPayload(Stream stream, int declared, string label)
    {
        var values = new byte[Math.Min(declared, ReadChunkBytes)];
        var filled = 0;
        while (filled < declared)
        {
            if (filled == values.Length)
            {
                Array.Resize(ref values, (int)Math.Min(declared, 2L * values.Length));
            }
            int read;
            try
            {
                read = stream.Read(values, filled, values.Length - filled);
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"{label}: corrupt gzip data ({ex.Message})", ex);
            }
            if (read == 0)
            {
                throw new InvalidDataException($"{label}: IDX file is truncated: header declares {declared} bytes of data, file holds {filled}");
            }
            filled += read;
        }
        return values;
    }

    private static long TensorCount(int[] dimensions)
    {
        long count = 1;
        foreach (var d in dimensions)
        {
            // Saturate instead of overflowing: anything past the cap is rejected anyway.
            count = count > long.MaxValue / Math.Max(d, 1) ? long.MaxValue : count * d;
        }
        return count;
    }

    private static MemoryStream CopyBounded(Stream stream, string label)
    {
        var copy = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            if (copy.Length + read > MaxPayloadBytes + 64)
            {
                throw new InvalidDataException($"{label}: stream is over the {MaxPayloadBytes}-byte IDX limit");
            }
            copy.Write(buffer, 0, read);
        }
        copy.Position = 0;
        return copy;
    }
}
