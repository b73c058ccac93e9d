using System.Text.Json;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.TestSupport;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Tests.Data;

/// <summary>
/// Model-zoo test data written by the onnx package once per class: a folder of three sets numbered 0, 2 and 10 (so
/// numeric and text order differ), with the values python wrote printed as JSON per set.
/// </summary>
public sealed class OnnxTestDataFiles : IDisposable
{
    private const string Script = """
        import json, os, numpy as np
        from onnx import numpy_helper, helper, TensorProto
        rng = np.random.default_rng(3)
        expected = {}
        for n in [0, 2, 10]:
            d = 'test_data_set_%d' % n
            os.makedirs(d)
            inputs = {
                'image': rng.standard_normal((1, 2, 3)).astype(np.float32),
                'ids': rng.integers(-2**50, 2**50, (4,)).astype(np.int64),
                'mask': rng.integers(0, 2, (2, 2)).astype(bool),
                'half': rng.standard_normal((3,)).astype(np.float16),
                'words': np.array(['alpha', 'βeta', str(n)], dtype=object),
                'typed_half': rng.standard_normal((2,)).astype(np.float16),
                'typed_float': rng.standard_normal((2,)).astype(np.float32),
            }
            tensors = []
            for name, a in inputs.items():
                if name.startswith('typed_'):
                    # make_tensor without raw stores float_data / int32_data bit patterns rather than raw_data.
                    elem = TensorProto.FLOAT16 if a.dtype == np.float16 else TensorProto.FLOAT
                    tensors.append(helper.make_tensor(name, elem, a.shape, a))
                else:
                    # 'ids' is written without a name: it takes the model's input name at its index.
                    tensors.append(numpy_helper.from_array(a, '' if name == 'ids' else name))
            for k, t in enumerate(tensors):
                with open(os.path.join(d, 'input_%d.pb' % k), 'wb') as f:
                    f.write(t.SerializeToString())
            scores = rng.standard_normal((1, 5)).astype(np.float32)
            with open(os.path.join(d, 'output_0.pb'), 'wb') as f:
                f.write(numpy_helper.from_array(scores, 'scores').SerializeToString())
            inputs['scores'] = scores
            expected[str(n)] = {k: {'shape': list(v.shape), 'values': [x.item() if hasattr(x, 'item') else x for x in np.ravel(v)]} for k, v in inputs.items()}
        print(json.dumps(expected))
        """;

    public OnnxTestDataFiles()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("fq-onnx-data").FullName;
        Expected = JsonDocument.Parse(DebianPython.Run(Script, Directory));
    }

    public string Directory { get; }

    public JsonDocument Expected { get; }

    public static readonly string[] SetNumbers = ["0", "2", "10"];

    public static readonly ModelSignature Model = new(
        [
            Input("image", DataType.Float, 1, 2, 3),
            Input("ids", DataType.Int64, 4),
            Input("mask", DataType.Bool, 2, 2),
            Input("half", DataType.Float16, 3),
            Input("words", DataType.String, 3),
            Input("typed_half", DataType.Float16, 2),
            Input("typed_float", DataType.Float, 2),
        ],
        [Input("scores", DataType.Float, 1, 5)]);

    public void Dispose()
    {
        Expected.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static TensorSignature Input(string name, DataType type, params long[] dims) => new(name, type, dims, new string?[dims.Length]);
}

[Trait("Category", "Python")]
public sealed class OnnxTestDataInteropTests(OnnxTestDataFiles files) : IClassFixture<OnnxTestDataFiles>
{
    [Fact]
    public void Load_OneSet_IsOneSampleOfEveryInputWithItsFullShape()
    {
        var path = Path.Combine(files.Directory, "test_data_set_2");

        var set = DataSetFile.Load(path, OnnxTestDataFiles.Model);

        Assert.Equal(1, set.Count);
        Assert.Equal(path, set.Source);
        AssertSamples(set, ["2"]);
    }

    [Fact]
    public void Load_FolderOfSets_StacksThemInNumericOrder()
    {
        var set = DataSetFile.Load(files.Directory, OnnxTestDataFiles.Model);

        Assert.Equal(3, set.Count);
        Assert.False(set.HasLabels);
        AssertSamples(set, OnnxTestDataFiles.SetNumbers);
    }

    /// <summary>Each input and reference must equal the sets' values, in the given order, one sample per set.</summary>
    private void AssertSamples(EvalSet set, string[] setNumbers)
    {
        Assert.Equal(OnnxTestDataFiles.Model.InputNames, set.Inputs.Select(i => i.Name!));
        foreach (var array in set.Inputs.Concat(set.References))
        {
            for (var s = 0; s < setNumbers.Length; s++)
            {
                var expected = files.Expected.RootElement.GetProperty(setNumbers[s]).GetProperty(array.Name!);
                var one = new SampleArray(array.Name, array.ElementType, array.SampleShape, array.Slice(s, 1));
                NumpyInteropTests.AssertMatches(expected, one.SampleShape, one.ElementType, one.Values);
            }
        }
        Assert.Equal("scores", Assert.Single(set.References).Name);
    }
}
