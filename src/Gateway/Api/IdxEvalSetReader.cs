using System.Buffers.Binary;
using FleetQuant.Grains.Models;

namespace FleetQuant.Gateway.Api;

/// <summary>
/// Reads an uploaded labelled eval set from IDX files (unsigned-byte images scaled to [0, 1], unsigned-byte labels).
/// Every length is checked against the bytes present, so a hostile header cannot make it allocate more than was sent.
/// </summary>
public static class IdxEvalSetReader
{
    private const byte UnsignedByte = 0x08;
    private const int MaxRank = 8;

    public static EvalSetData Read(byte[] images, byte[] labels, long[]? sampleShape)
    {
        var (imageDims, pixels) = Parse(images, "evalImages");
        var (labelDims, labelValues) = Parse(labels, "evalLabels");
        if (imageDims.Length < 2)
        {
            throw new InvalidDataException("evalImages: expected at least 2 dimensions (count, sample…)");
        }
        if (labelDims.Length != 1 || labelDims[0] != imageDims[0])
        {
            throw new InvalidDataException($"evalLabels: expected {imageDims[0]} labels in one dimension");
        }
        var fileShape = imageDims.Skip(1).Select(d => (long)d).ToArray();
        var shape = sampleShape ?? fileShape;
        if (shape.Any(d => d <= 0) || shape.Aggregate(1L, (a, d) => a * d) != fileShape.Aggregate(1L, (a, d) => a * d))
        {
            throw new ArgumentException($"sampleShape [{string.Join(",", shape)}] does not hold the [{string.Join(",", fileShape)}] values of one image");
        }
        var data = new float[pixels.Length];
        var pixelSpan = pixels.Span;
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = pixelSpan[i] / 255f;
        }
        return new EvalSetData(shape, data, Array.ConvertAll(labelValues.ToArray(), v => (int)v));
    }

    private static (int[] Dims, ReadOnlyMemory<byte> Values) Parse(byte[] bytes, string field)
    {
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != UnsignedByte || bytes[3] is 0 or > MaxRank)
        {
            throw new InvalidDataException($"{field}: not an unsigned-byte IDX file (uncompressed)");
        }
        var rank = bytes[3];
        var header = 4 + 4 * rank;
        if (bytes.Length < header)
        {
            throw new InvalidDataException($"{field}: truncated IDX header");
        }
        var dims = new int[rank];
        long count = 1;
        for (var i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] <= 0)
            {
                throw new InvalidDataException($"{field}: dimension {i} is {dims[i]}");
            }
            count *= dims[i];
            if (count > bytes.Length)
            {
                throw new InvalidDataException($"{field}: header claims more values than the file holds");
            }
        }
        if (bytes.Length - header != count)
        {
            throw new InvalidDataException($"{field}: {bytes.Length - header} data bytes for {count} values");
        }
        return (dims, bytes.AsMemory(header));
    }
}
