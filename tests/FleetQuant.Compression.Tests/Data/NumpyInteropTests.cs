using System.Globalization;
using System.Text.Json;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.TestSupport;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Tests.Data;

/// <summary>Files written by numpy itself once per class, with the values numpy holds, printed as JSON.</summary>
public sealed class NumpyFiles : IDisposable
{
    private const string Script = """
        import json, numpy as np
        from numpy.lib import format as npformat
        arrays = {
            'f4': (np.arange(24, dtype='<f4').reshape(2, 3, 4) * 0.37 - 3),
            'f8': np.array([[1e300, -2.5], [np.pi, 0]], dtype='<f8'),
            'f2': np.array([0.1, -65504, 6e-8, 1.5], dtype='<f2'),
            'i1': np.array([-128, -1, 0, 127], dtype='|i1'),
            'u1': np.array([0, 1, 200, 255], dtype='|u1'),
            'i2': np.array([-32768, 12345, 32767], dtype='<i2'),
            'u2': np.array([0, 40000, 65535], dtype='<u2'),
            'i4': np.array([-2**31, 7, 2**31 - 1], dtype='<i4'),
            'u4': np.array([0, 3000000000, 2**32 - 1], dtype='<u4'),
            'i8': np.array([-2**63, 2**40 + 3, 2**63 - 1], dtype='<i8'),
            'u8': np.array([0, 2**63 + 5, 2**64 - 1], dtype='<u8'),
            'b1': np.array([[True, False, True], [False, False, True]]),
            'be_f4': np.arange(6, dtype='>f4').reshape(3, 2) / 7,
            'be_f8': np.array([1 / 3, -1e-300], dtype='>f8'),
            'be_f2': np.array([0.5, -2.25, 1000], dtype='>f2'),
            'be_i2': np.array([-2, 513], dtype='>i2'),
            'be_u2': np.array([1, 65534], dtype='>u2'),
            'be_i4': np.array([-70000, 1], dtype='>i4'),
            'be_u4': np.array([4000000000], dtype='>u4'),
            'be_i8': np.array([-(2**50) - 1, 2**62 + 9], dtype='>i8'),
            'be_u8': np.array([2**64 - 2], dtype='>u8'),
            'fortran_f4': np.asfortranarray(np.arange(24, dtype='<f4').reshape(2, 3, 4)),
            'fortran_i2': np.asfortranarray(np.arange(6, dtype='<i2').reshape(2, 3)),
            'fortran_be_i8': np.asfortranarray(np.arange(30, dtype='>i8').reshape(5, 3, 2) - 11),
            'zero_d': np.array(3.25, dtype='<f8'),
            'empty': np.zeros((0, 4), dtype='<f4'),
            'high_rank': np.arange(48, dtype='<i4').reshape(2, 1, 3, 1, 2, 1, 2, 2),
        }
        expected = {}
        for name, a in arrays.items():
            np.save(name + '.npy', a)
            expected[name] = {'shape': list(a.shape), 'values': np.ravel(a, order='C').tolist()}
        for version in [(2, 0), (3, 0)]:
            name = 'v%d' % version[0]
            a = np.arange(10, dtype='<i8').reshape(2, 5) * 3
            with open(name + '.npy', 'wb') as f:
                npformat.write_array(f, a, version=version)
            expected[name] = {'shape': list(a.shape), 'values': a.ravel().tolist()}

        rng = np.random.default_rng(7)
        pixels = rng.standard_normal((5, 2, 3)).astype('<f4')
        mask = rng.integers(0, 2, (5, 4)).astype(bool)
        ids = rng.integers(-2**40, 2**40, (5,)).astype('<i8')
        logits = rng.standard_normal((5, 3)).astype('<f4')
        np.savez('plain.npz', pixels=pixels, mask=mask, ids=ids, labels=np.array([3, 0, 9, 1, 2], dtype='|u1'), reference_logits=logits)
        np.savez_compressed('compressed.npz', pixels=pixels, mask=mask, ids=ids, labels=np.array([[3], [0], [9], [1], [2]], dtype='<i8'), reference_logits=logits)
        for name, a in [('pixels', pixels), ('mask', mask), ('ids', ids), ('logits', logits)]:
            expected['npz_' + name] = {'shape': list(a.shape), 'values': a.ravel().tolist()}
        print(json.dumps(expected))
        """;

    public NumpyFiles()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("fq-numpy").FullName;
        Expected = JsonDocument.Parse(DebianPython.Run(Script, Directory));
    }

    public string Directory { get; }

    public JsonDocument Expected { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public void Dispose()
    {
        Expected.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

[Trait("Category", "Python")]
public sealed class NumpyInteropTests(NumpyFiles files) : IClassFixture<NumpyFiles>
{
    [Theory]
    [InlineData("f4", DataType.Float)]
    [InlineData("f8", DataType.Double)]
    [InlineData("f2", DataType.Float16)]
    [InlineData("i1", DataType.Int8)]
    [InlineData("u1", DataType.Uint8)]
    [InlineData("i2", DataType.Int16)]
    [InlineData("u2", DataType.Uint16)]
    [InlineData("i4", DataType.Int32)]
    [InlineData("u4", DataType.Uint32)]
    [InlineData("i8", DataType.Int64)]
    [InlineData("u8", DataType.Uint64)]
    [InlineData("b1", DataType.Bool)]
    [InlineData("be_f4", DataType.Float)]
    [InlineData("be_f8", DataType.Double)]
    [InlineData("be_f2", DataType.Float16)]
    [InlineData("be_i2", DataType.Int16)]
    [InlineData("be_u2", DataType.Uint16)]
    [InlineData("be_i4", DataType.Int32)]
    [InlineData("be_u4", DataType.Uint32)]
    [InlineData("be_i8", DataType.Int64)]
    [InlineData("be_u8", DataType.Uint64)]
    [InlineData("fortran_f4", DataType.Float)]
    [InlineData("fortran_i2", DataType.Int16)]
    [InlineData("fortran_be_i8", DataType.Int64)]
    [InlineData("zero_d", DataType.Double)]
    [InlineData("empty", DataType.Float)]
    [InlineData("high_rank", DataType.Int32)]
    [InlineData("v2", DataType.Int64)]
    [InlineData("v3", DataType.Int64)]
    public void Read_NumpySave_GivesNumpysValuesInCOrder(string name, DataType type)
    {
        var array = NpyFile.Read(files.PathOf(name + ".npy"));

        Assert.Equal(type, array.ElementType);
        AssertMatches(files.Expected.RootElement.GetProperty(name), array.Shape, type, array.Values);
    }

    [Theory]
    [InlineData("plain.npz", new[] { 3, 0, 9, 1, 2 })]
    [InlineData("compressed.npz", new[] { 3, 0, 9, 1, 2 })]
    public void Load_Npz_BindsArraysToInputsLabelsAndReferences(string file, int[] labels)
    {
        var set = DataSetFile.Load(files.PathOf(file), NpzModel);

        Assert.Equal(5, set.Count);
        Assert.Equal(labels, set.Labels);
        Assert.Equal(files.PathOf(file), set.Source);
        Assert.Equal(["ids", "mask", "pixels"], set.Inputs.Select(i => i.Name!).Order(StringComparer.Ordinal));
        foreach (var input in set.Inputs)
        {
            AssertMatches(files.Expected.RootElement.GetProperty("npz_" + input.Name), [input.Count, .. input.SampleShape], input.ElementType, input.Values);
        }
        var reference = Assert.Single(set.References);
        Assert.Equal("logits", reference.Name);
        AssertMatches(files.Expected.RootElement.GetProperty("npz_logits"), [reference.Count, .. reference.SampleShape], reference.ElementType, reference.Values);
    }

    [Fact]
    public void Load_Npy_FeedsTheFirstInputWithSamplesOnTheFirstAxis()
    {
        var set = DataSetFile.Load(files.PathOf("f4.npy"), NpzModel);

        var input = Assert.Single(set.Inputs);
        Assert.Null(input.Name);
        Assert.Equal(2, set.Count);
        Assert.Equal([3L, 4], input.SampleShape);
        Assert.False(set.HasLabels);
    }

    [Fact]
    public void Load_ZeroDimensionalNpy_SaysItHasNoSampleAxis()
    {
        var path = files.PathOf("zero_d.npy");

        var error = Assert.Throws<InvalidDataException>(() => DataSetFile.Load(path, NpzModel));

        Assert.Contains(path, error.Message);
        Assert.Contains("sample axis", error.Message);
    }

    private static readonly ModelSignature NpzModel = new(
        [
            new TensorSignature("pixels", DataType.Float, [-1, 2, 3], ["batch", null, null]),
            new TensorSignature("mask", DataType.Bool, [-1, 4], ["batch", null]),
            new TensorSignature("ids", DataType.Int64, [-1], ["batch"]),
        ],
        [new TensorSignature("logits", DataType.Float, [-1, 3], ["batch", null])]);

    /// <summary>Compares shape and every value with what python printed: integers digit for digit, floats exactly.</summary>
    internal static void AssertMatches(JsonElement expected, long[] shape, DataType type, Array values)
    {
        Assert.Equal(expected.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), shape);
        var expectedValues = expected.GetProperty("values").EnumerateArray().ToList();
        Assert.Equal(expectedValues.Count, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            var want = expectedValues[i];
            switch (want.ValueKind)
            {
                case JsonValueKind.True or JsonValueKind.False:
                    Assert.Equal(want.GetBoolean(), (bool)values.GetValue(i)!);
                    break;
                case JsonValueKind.String:
                    Assert.Equal(want.GetString(), (string)values.GetValue(i)!);
                    break;
                case JsonValueKind.Number when ElementTypes.IsInteger(type):
                    Assert.Equal(want.GetRawText(), Convert.ToString(values.GetValue(i), CultureInfo.InvariantCulture));
                    break;
                default:
                    Assert.Equal(want.GetDouble(), ElementTypes.ToDouble(type, values, i));
                    break;
            }
        }
    }
}
