using FleetQuant.Grains.Models;

namespace FleetQuant.Grains.Compression;

/// <summary>
/// The stored form of an uploaded eval set: "FQES", version, rank, dims, count, float data, label flag, labels
/// (little-endian). Decoding checks every length against the bytes present, so a damaged blob cannot make it
/// allocate more than the blob holds.
/// </summary>
public static class EvalSetCodec
{
    private const uint Magic = 0x53455146; // "FQES"
    private const int FormatVersion = 1;
    private const int MaxRank = 8;

    public static byte[] Encode(EvalSetData set)
    {
        Validate(set);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(set.SampleShape.Length);
            foreach (var d in set.SampleShape)
            {
                writer.Write(d);
            }
            writer.Write(set.Data.Length);
            foreach (var v in set.Data)
            {
                writer.Write(v);
            }
            writer.Write(set.Labels is not null);
            if (set.Labels is { } labels)
            {
                writer.Write(labels.Length);
                foreach (var l in labels)
                {
                    writer.Write(l);
                }
            }
        }
        return buffer.ToArray();
    }

    public static EvalSetData Decode(byte[] bytes)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, writable: false));
            if (reader.ReadUInt32() != Magic || reader.ReadInt32() != FormatVersion)
            {
                throw new InvalidDataException("not a FleetQuant eval set blob (bad magic or version)");
            }
            var rank = reader.ReadInt32();
            if (rank is < 1 or > MaxRank)
            {
                throw new InvalidDataException($"eval set rank {rank} is outside 1..{MaxRank}");
            }
            var shape = new long[rank];
            for (var i = 0; i < rank; i++)
            {
                shape[i] = reader.ReadInt64();
            }
            var data = new float[CheckedLength(reader, sizeof(float))];
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = reader.ReadSingle();
            }
            int[]? labels = null;
            if (reader.ReadBoolean())
            {
                labels = new int[CheckedLength(reader, sizeof(int))];
                for (var i = 0; i < labels.Length; i++)
                {
                    labels[i] = reader.ReadInt32();
                }
            }
            var set = new EvalSetData(shape, data, labels);
            Validate(set);
            return set;
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("eval set blob is truncated", ex);
        }
    }

    /// <summary>Checks the shape is positive, the data holds whole samples and labels (if any) match the count.</summary>
    public static void Validate(EvalSetData set)
    {
        if (set.SampleShape.Length is < 1 or > MaxRank || set.SampleShape.Any(d => d <= 0 || d > int.MaxValue))
        {
            throw new ArgumentException($"eval set sample shape [{string.Join(",", set.SampleShape)}] needs 1..{MaxRank} positive dimensions");
        }
        var sampleSize = set.SampleShape.Aggregate(1L, (a, d) => Math.Min(a * d, int.MaxValue));
        if (set.Data.Length == 0 || set.Data.Length % sampleSize != 0)
        {
            throw new ArgumentException($"eval set data has {set.Data.Length} values, not a positive multiple of the sample size {sampleSize}");
        }
        var count = set.Data.Length / sampleSize;
        if (set.Labels is { } labels && labels.Length != count)
        {
            throw new ArgumentException($"eval set has {count} samples but {labels.Length} labels");
        }
    }

    private static int CheckedLength(BinaryReader reader, int elementSize)
    {
        var length = reader.ReadInt32();
        var remaining = reader.BaseStream.Length - reader.BaseStream.Position;
        if (length < 0 || (long)length * elementSize > remaining)
        {
            throw new InvalidDataException($"eval set blob claims {length} elements but holds {remaining} bytes");
        }
        return length;
    }
}
