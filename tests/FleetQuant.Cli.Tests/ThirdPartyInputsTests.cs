using System.Text.Json;
using FleetQuant.TestSupport;

namespace FleetQuant.Cli.Tests;

/// <summary>
/// The measuring verbs on a model and data written by onnx's and numpy's own Python: two inputs (float frames with a
/// symbolic length, an int64 gain), ONNX test-data directories with recorded outputs, and an .npz set.
/// </summary>
[Trait("Category", "Python")]
public sealed class ThirdPartyInputsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fq-cli-inputs").FullName;

    public ThirdPartyInputsTests()
    {
        // y = x * gain and energy = mean(x²) per row; sets 0 and 1 record the true outputs, set 2 an output off by 0.5.
        DebianPython.Run("""
            import numpy as np, onnx, os
            from onnx import helper, numpy_helper, TensorProto
            x = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 'frames'])
            gain = helper.make_tensor_value_info('gain', TensorProto.INT64, [])
            y = helper.make_tensor_value_info('y', TensorProto.FLOAT, ['batch', 'frames'])
            energy = helper.make_tensor_value_info('energy', TensorProto.FLOAT, ['batch', 1])
            nodes = [
                helper.make_node('Cast', ['gain'], ['gain_f'], to=TensorProto.FLOAT),
                helper.make_node('Mul', ['x', 'gain_f'], ['y']),
                helper.make_node('Mul', ['x', 'x'], ['sq']),
                helper.make_node('ReduceMean', ['sq'], ['energy'], axes=[1], keepdims=1),
            ]
            model = helper.make_model(helper.make_graph(nodes, 'gain', [x, gain], [y, energy]), opset_imports=[helper.make_opsetid('', 13)])
            model.ir_version = 8
            onnx.checker.check_model(model)
            onnx.save(model, 'gain.onnx')
            rng = np.random.default_rng(3)
            for n in range(3):
                d = f'data/test_data_set_{n}'
                os.makedirs(d, exist_ok=True)
                xs = rng.standard_normal((1, 6)).astype(np.float32)
                g = np.array(3, dtype=np.int64)
                ys = xs * 3 + (0.5 if n == 2 else 0)
                es = np.mean(xs * xs, axis=1, keepdims=True).astype(np.float32)
                for k, (name, value) in enumerate([('x', xs), ('gain', g)]):
                    open(f'{d}/input_{k}.pb', 'wb').write(numpy_helper.from_array(value, name).SerializeToString())
                for k, (name, value) in enumerate([('y', ys.astype(np.float32)), ('energy', es)]):
                    open(f'{d}/output_{k}.pb', 'wb').write(numpy_helper.from_array(value, name).SerializeToString())
            np.savez('frames.npz', x=rng.standard_normal((10, 6)).astype(np.float32))
            """, _dir);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Eval_OnnxTestDataWithoutReference_ComparesEveryOutputWithWhatTheDataRecords()
    {
        var exact = Eval(Path.Combine(_dir, "data", "test_data_set_0"));
        var all = Eval(Path.Combine(_dir, "data"));

        Assert.Equal("recorded", exact.GetProperty("fidelityAgainst").GetString());
        Assert.Equal(["y", "energy"], exact.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()));
        Assert.True(exact.GetProperty("maxAbsError").GetDouble() < 1e-5);
        Assert.Equal(3, all.GetProperty("samples").GetInt32());
        Assert.Equal(0.5, all.GetProperty("maxAbsError").GetDouble(), 4);
        var energy = all.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "energy");
        Assert.Equal("score", energy.GetProperty("kind").GetString());
        Assert.True(energy.GetProperty("maxAbsError").GetDouble() < 1e-5, "only y was recorded wrong");
    }

    [Fact]
    public void Ladder_WithoutTheShapeOfASymbolicDimension_SaysWhichInputAndWhichFlag()
    {
        var result = CliProcess.Run("ladder", "--model", Path.Combine(_dir, "gain.onnx"), "--samples", "4", "--recipes", "fp32", "--no-mixed");

        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("input 'x' is float[batch,frames]", line);
        Assert.Contains("--input-shape x=1,D1", line);
    }

    [Fact]
    public void Ladder_NpzDataAndAValueHint_RecordsHowEachInputWasFed()
    {
        var json = Path.Combine(_dir, "ladder.json");

        var result = CliProcess.Run("ladder", "--model", Path.Combine(_dir, "gain.onnx"), "--data", Path.Combine(_dir, "frames.npz"),
            "--input-value", "gain=2", "--recipes", "fp32,q8cs", "--no-mixed", "--latency-runs", "1", "--json", json);

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains("gain: int64[] constant (value 2)", result.StdOut);
        using var ladder = JsonDocument.Parse(File.ReadAllText(json));
        var inputs = ladder.RootElement.GetProperty("inputs").EnumerateArray().ToDictionary(i => i.GetProperty("name").GetString()!, i => i.GetProperty("source").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["x"] = "data", ["gain"] = "constant" }, inputs);
        Assert.Equal("fidelity", ladder.RootElement.GetProperty("metric").GetString());
        Assert.Equal(10, ladder.RootElement.GetProperty("evalSamples").GetInt32());
    }

    private JsonElement Eval(string data)
    {
        var result = CliProcess.Run("eval", "--model", Path.Combine(_dir, "gain.onnx"), "--data", data, "--json", "--latency-runs", "1");
        Assert.True(result.ExitCode == 0, result.StdErr);
        return JsonDocument.Parse(result.StdOut).RootElement.Clone();
    }
}
