using System.Buffers.Binary;
using System.IO.Compression;
using FleetQuant.Compression.Data;

namespace FleetQuant.Compression.Tests.Data;

public sealed class IdxFileTests
{
    private static byte[] Idx(byte type, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        }
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(raw);
        }
        return output.ToArray();
    }

    private static readonly byte[] ImagePixels = Enumerable.Range(0, 2 * 3 * 2).Select(i => (byte)(i * 10)).ToArray();

    [Fact]
    public void Read_RawImages_ReturnsDimensionsAndPixels()
    {
        var array = IdxFile.Read(new MemoryStream(Idx(0x08, [2, 3, 2], ImagePixels)));

        Assert.Equal([2, 3, 2], array.Dimensions);
        Assert.Equal(2, array.Count);
        Assert.Equal(6, array.ItemSize);
        Assert.Equal(ImagePixels, array.Values);
    }

    [Fact]
    public void Read_GzipLabels_IsDetectedAndDecompressed()
    {
        var array = IdxFile.Read(new MemoryStream(Gzip(Idx(0x08, [4], [3, 1, 4, 1]))));

        Assert.Equal([4], array.Dimensions);
        Assert.Equal([3, 1, 4, 1], array.Values);
    }

    [Fact]
    public void WriteThenRead_GzipFile_RoundTripsWithStableBytes()
    {
        var dir = Directory.CreateTempSubdirectory("fq-idx").FullName;
        try
        {
            var path = Path.Combine(dir, "x-images-idx3-ubyte.gz");
            var array = new IdxArray([2, 3, 2], ImagePixels);
            IdxFile.Write(path, array);
            var first = File.ReadAllBytes(path);
            IdxFile.Write(path, array);

            Assert.Equal(first, File.ReadAllBytes(path));
            Assert.Equal(ImagePixels, IdxFile.Read(path).Values);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_TruncatedPayload_GivesInvalidDataException(bool gzip)
    {
        var raw = Idx(0x08, [2, 3, 2], ImagePixels)[..^5];

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(new MemoryStream(gzip ? Gzip(raw) : raw)));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Read_TruncatedHeader_GivesInvalidDataException()
    {
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(new MemoryStream(Idx(0x08, [2, 3, 2], [])[..9])));
        Assert.Contains("truncated", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 1, 0 })]
    [InlineData(new byte[] { 0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0x08, 0 })]
    [InlineData(new byte[] { 0, 0, 0x08, 9 })]
    public void Read_BadMagic_GivesInvalidDataException(byte[] bytes)
    {
        Assert.Throws<InvalidDataException>(() => IdxFile.Read(new MemoryStream(bytes)));
    }

    [Fact]
    public void Read_OversizedDeclaration_IsRejectedBeforeAllocating()
    {
        // 60,000 × 2048 × 2048 bytes declared, a handful present.
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(new MemoryStream(Idx(0x08, [60000, 2048, 2048], [1, 2, 3]))));
        Assert.Contains("limit", error.Message);
    }

    [Fact]
    public void Read_GzipDeclaringMoreThanItHolds_IsTruncatedNotAllocated()
    {
        // Under the cap but far larger than the content: must fail on the real data length.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(new MemoryStream(Gzip(Idx(0x08, [200_000_000], [1, 2, 3])))));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("truncated", error.Message);
        Assert.True(allocated < 16 * 1024 * 1024, $"allocated {allocated} bytes for a 3-byte payload");
    }

    [Fact]
    public void Read_MissingFile_GivesFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => IdxFile.Read(Path.Combine(Path.GetTempPath(), $"fq-missing-{Guid.NewGuid():N}.gz")));
    }
}
