using System.IO.Compression;
using System.Text;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using Google.Protobuf;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Tests.Data;

/// <summary>Files crafted to lie or to exhaust memory: each must fail with one clear error naming the file.</summary>
public sealed class HostileDataFileTests : IDisposable
{
    private const long AllocationBound = 8L << 20;

    private static readonly ModelSignature Model = new(
        [new TensorSignature("x", DataType.Float, [-1, 2], ["batch", null]), new TensorSignature("y", DataType.Int64, [-1], ["batch"])],
        [new TensorSignature("out", DataType.Float, [-1, 3], ["batch", null])]);

    private readonly string _directory = Directory.CreateTempSubdirectory("fq-hostile").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Npy_WrongMagic_IsRejected()
    {
        var path = Write("bad.npy", Encoding.ASCII.GetBytes("\x92NUMPY\x01\x00\x10\x00{}"));

        AssertRejected(path, "not an NPY file");
    }

    [Fact]
    public void Npy_TruncatedHeader_IsRejected()
    {
        var path = Write("short.npy", [.. Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", [])[..20]]);

        AssertRejected(path, "truncated in its header");
    }

    [Fact]
    public void Npy_HeaderDeclaringMoreDataThanPresent_IsTruncated()
    {
        var path = Write("lying.npy", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 2), }", new byte[8]));

        AssertRejected(path, "truncated");
    }

    [Fact]
    public void Npy_DataBeyondTheDeclaredShape_IsRejected()
    {
        var path = Write("long.npy", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[8]));

        AssertRejected(path, "more data than its header declares");
    }

    [Fact]
    public void Npy_ShapeWhoseProductOverflows_IsRejected()
    {
        var path = Write("overflow.npy", Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }", new byte[8]));

        AssertRejected(path, "value limit");
    }

    [Fact]
    public void Npy_DimensionBeyond64Bits_IsRejected()
    {
        var path = Write("big.npy", Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", []));

        AssertRejected(path, "not a 64-bit integer");
    }

    [Fact]
    public void Npy_HugeDeclaredSize_FailsWithoutAllocatingIt()
    {
        // 60 Mi doubles (480 MiB) declared, 16 bytes present.
        var path = Write("huge.npy", Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (62914560,), }", new byte[16]));

        AssertRejectedWithinAllocation(() => DataSetFile.Load(path, Model), path);
    }

    [Theory]
    [InlineData("<U5", "unicode")]
    [InlineData("|O", "Python objects")]
    [InlineData("<c8", "complex")]
    [InlineData("|f4", "no byte order")]
    public void Npy_UnsupportedDtype_SaysWhatItHolds(string descr, string expected)
    {
        var path = Write("dtype.npy", Npy($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (1,), }}", new byte[20]));

        AssertRejected(path, expected);
    }

    [Fact]
    public void Npy_StructuredDtype_IsRejected()
    {
        var path = Write("structured.npy", Npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new byte[4]));

        AssertRejected(path, "structured");
    }

    [Theory]
    [InlineData("<u1")]
    [InlineData("=u1")]
    [InlineData("|u1")]
    [InlineData("<i1")]
    [InlineData("=i1")]
    public void Npy_SingleByteTypes_AcceptEveryByteOrderPrefix(string descr)
    {
        var path = Write("bytes.npy", Npy($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2, 1), }}", [1, 255]));

        var set = DataSetFile.Load(path, Model);

        Assert.Equal(2, set.Count);
        Assert.Equal(descr[1] == 'u' ? 255.0 : -1.0, ElementTypes.ToDouble(set.Inputs[0].ElementType, set.Inputs[0].Values, 1));
    }

    [Fact]
    public void Npz_HugeDeclaredSizeInAStoredEntry_FailsWithoutAllocatingIt()
    {
        var path = WriteZip("huge.npz", CompressionLevel.NoCompression,
            ("x.npy", Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (62914560,), }", new byte[16])));

        AssertRejectedWithinAllocation(() => DataSetFile.Load(path, Model), path);
    }

    [Fact]
    public void Npz_EntryDeflatingBeyondTheBound_IsRejectedWithoutInflatingIt()
    {
        // 32 MiB of zeros deflate to a few tens of KiB; the bound here is 1 MiB.
        var path = WriteZip("bomb.npz", CompressionLevel.SmallestSize,
            ("x.npy", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (8388608,), }", new byte[32 << 20])));
        GC.Collect();
        var before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<InvalidDataException>(() => NpzFile.Read(path, maxDecompressedBytes: 1 << 20));

        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, AllocationBound);
        Assert.Contains(path, error.Message);
        Assert.Contains("array 'x'", error.Message);
        Assert.Contains("decompresses to more than", error.Message);
    }

    [Fact]
    public void Npz_UnknownArrayName_ListsTheModelInputs()
    {
        var path = WriteZip("unknown.npz", CompressionLevel.Fastest,
            ("x.npy", FloatsNpy(2, 2)), ("images.npy", FloatsNpy(2, 2)));

        var error = AssertRejected(path, "array 'images'");

        Assert.Contains("x, y", error.Message);
        Assert.Contains("reference_", error.Message);
    }

    [Fact]
    public void Npz_LabelsForAnotherNumberOfSamples_AreRejected()
    {
        var path = WriteZip("labels.npz", CompressionLevel.Fastest,
            ("x.npy", FloatsNpy(3, 2)), ("labels.npy", Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", new byte[16])));

        AssertRejected(path, "2 labels for 3 samples");
    }

    [Fact]
    public void Npz_NegativeLabel_IsRejected()
    {
        var path = WriteZip("negative.npz", CompressionLevel.Fastest,
            ("x.npy", FloatsNpy(1, 2)), ("labels.npy", Npy("{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }", [0xff])));

        AssertRejected(path, "label 0 is -1");
    }

    [Fact]
    public void Npz_InputsWithDifferentSampleCounts_AreRejected()
    {
        var path = WriteZip("counts.npz", CompressionLevel.Fastest,
            ("x.npy", FloatsNpy(3, 2)), ("y.npy", Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", new byte[16])));

        AssertRejected(path, "same number of samples");
    }

    [Fact]
    public void Npz_NotAZip_IsRejected()
    {
        var path = Write("plain.npz", FloatsNpy(1, 2));

        AssertRejected(path, "not a readable zip archive");
    }

    [Fact]
    public void TestData_SetsWithDifferentShapes_NameBothSets()
    {
        WriteTensor("test_data_set_0/input_0.pb", TensorData.CreateFloat("x", [2], [1, 2]));
        WriteTensor("test_data_set_1/input_0.pb", TensorData.CreateFloat("x", [3], [1, 2, 3]));

        var error = Assert.Throws<InvalidDataException>(() => DataSetFile.Load(_directory, Model));

        Assert.Contains(Path.Combine("test_data_set_0", "input_0.pb"), error.Message);
        Assert.Contains(Path.Combine("test_data_set_1", "input_0.pb"), error.Message);
    }

    [Fact]
    public void TestData_CorruptTensorFile_IsRejected()
    {
        var path = Write("test_data_set_0/input_0.pb", [0x0f, 0x00, 0x01]);

        var error = Assert.Throws<InvalidDataException>(() => DataSetFile.Load(_directory, Model));

        Assert.Contains(path, error.Message);
        Assert.Contains("TensorProto", error.Message);
    }

    [Fact]
    public void TestData_RawDataShorterThanTheDims_IsRejected()
    {
        var tensor = TensorData.CreateFloat("x", [2], [1, 2]);
        tensor.Dims[0] = 1000;
        var path = WriteTensor("test_data_set_0/input_0.pb", tensor);

        AssertRejected(Path.GetDirectoryName(path)!, "raw_data", path);
    }

    [Fact]
    public void TestData_TensorNamedForNoInput_ListsTheInputs()
    {
        var path = WriteTensor("test_data_set_0/input_0.pb", TensorData.CreateFloat("z", [2], [1, 2]));

        AssertRejected(_directory, "'z' is not one of the model's inputs (x, y)", path);
    }

    [Fact]
    public void MissingPath_IsFileNotFound()
    {
        var path = Path.Combine(_directory, "absent.npz");

        var error = Assert.Throws<FileNotFoundException>(() => DataSetFile.Load(path, Model));

        Assert.Contains(path, error.Message);
    }

    private InvalidDataException AssertRejected(string path, string expected, string? named = null)
    {
        var error = Assert.Throws<InvalidDataException>(() => DataSetFile.Load(path, Model));
        Assert.Contains(named ?? path, error.Message);
        Assert.Contains(expected, error.Message);
        return error;
    }

    private static void AssertRejectedWithinAllocation(Action load, string path)
    {
        GC.Collect();
        var before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<InvalidDataException>(load);

        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, AllocationBound);
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    /// <summary>An NPY 1.0 file: magic, version, header length, the dictionary padded to 64 bytes, then the data.</summary>
    private static byte[] Npy(string dictionary, byte[] data)
    {
        var header = dictionary + new string(' ', 63 - (10 + dictionary.Length) % 64) + "\n";
        var length = (ushort)header.Length;
        return [0x93, .. "NUMPY"u8, 1, 0, (byte)length, (byte)(length >> 8), .. Encoding.Latin1.GetBytes(header), .. data];
    }

    private static byte[] FloatsNpy(int samples, int width) =>
        Npy($"{{'descr': '<f4', 'fortran_order': False, 'shape': ({samples}, {width}), }}", new byte[samples * width * 4]);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_directory, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string WriteTensor(string name, TensorProto tensor) => Write(name, tensor.ToByteArray());

    private string WriteZip(string name, CompressionLevel level, params (string Entry, byte[] Bytes)[] entries)
    {
        var path = Path.Combine(_directory, name);
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var (entry, bytes) in entries)
            {
                using var stream = archive.CreateEntry(entry, level).Open();
                stream.Write(bytes);
            }
        }
        return path;
    }
}
