using FleetQuant.Compression.Onnx;
using FleetQuant.TestSupport;
using Google.Protobuf;

namespace FleetQuant.Cli.Tests;

public sealed class CliBadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fq-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string[]> BadInvocations => new()
    {
        { "not found", ["inspect", "/no/such/model.onnx"] },
        { "not found", ["eval", "--model", "/no/such/model.onnx", "--reference", "/no/such/model.onnx"] },
        { "not found", ["ladder", "--model", "/no/such/model.onnx", "--samples", "2"] },
        { "--data", ["eval", "--model", "/no/such/model.onnx"] },
    };

    [Theory]
    [MemberData(nameof(BadInvocations))]
    public void BadArguments_ExitNonZeroWithOneLine(string expected, string[] args) => AssertOneLineFailure(CliProcess.Run(args), expected);

    [Fact]
    public void Inspect_FileThatIsNotOnnx_ExitsNonZeroWithOneLine()
    {
        var path = Path.Combine(_dir, "text.onnx");
        File.WriteAllText(path, "this is not a model at all, just some text\n");

        AssertOneLineFailure(CliProcess.Run("inspect", path), "text.onnx");
    }

    [Fact]
    public void Compress_TruncatedModel_ExitsNonZeroWithOneLine()
    {
        var path = Path.Combine(_dir, "truncated.onnx");
        var bytes = TinyModel().ToByteArray();
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        AssertOneLineFailure(CliProcess.Run("compress", "--model", path, "--recipe", "fp32", "--out", Path.Combine(_dir, "out.onnx")), "truncated.onnx");
    }

    [Fact]
    public void Compress_UnknownRecipe_ExitsNonZeroWithOneLine()
    {
        var path = Path.Combine(_dir, "tiny.onnx");
        OnnxModelFile.Save(TinyModel(), path);

        AssertOneLineFailure(CliProcess.Run("compress", "--model", path, "--recipe", "q9zz", "--out", Path.Combine(_dir, "out.onnx")), "q9zz");
    }

    [Fact]
    public void Inspect_UnsupportedOpset_ExitsNonZeroWithOneLine()
    {
        var path = Path.Combine(_dir, "old.onnx");
        var model = TinyModel();
        model.OpsetImport[0].Version = 6;
        OnnxModelFile.Save(model, path);

        AssertOneLineFailure(CliProcess.Run("inspect", path), "opset 6");
    }

    [Fact]
    public void InspectAndCompressFp32_OnAGoodModel_Succeed()
    {
        var path = Path.Combine(_dir, "tiny.onnx");
        OnnxModelFile.Save(TinyModel(), path);

        var inspect = CliProcess.Run("inspect", path, "--json");
        var compress = CliProcess.Run("compress", "--model", path, "--recipe", "fp32", "--out", Path.Combine(_dir, "out.onnx"));
        var eval = CliProcess.Run("eval", "--model", Path.Combine(_dir, "out.onnx"), "--reference", path, "--samples", "4", "--json", "--latency-runs", "2");

        Assert.Equal(0, inspect.ExitCode);
        Assert.Contains("\"parameters\": 8", inspect.StdOut);
        Assert.Equal(0, compress.ExitCode);
        Assert.Contains("wire bytes", compress.StdOut);
        Assert.Equal(0, eval.ExitCode);
        Assert.Contains("\"maxAbsError\": 0", eval.StdOut);
        Assert.Contains("\"runtimeBytes\"", eval.StdOut);
    }

    private static void AssertOneLineFailure(ProcessResult result, string expected)
    {
        Assert.NotEqual(0, result.ExitCode);
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{result.StdErr}");
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", result.StdErr + result.StdOut);
    }

    /// <summary>y = MatMul(x[1,4], W[4,2]): eight parameters, opset 13.</summary>
    private static ModelProto TinyModel()
    {
        var graph = new GraphProto { Name = "tiny" };
        graph.Input.Add(Value("x", 4));
        graph.Output.Add(Value("y", 2));
        graph.Initializer.Add(TensorData.CreateFloat("w", [4, 2], new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
        var node = new NodeProto { OpType = "MatMul", Name = "mm" };
        node.Input.Add("x");
        node.Input.Add("w");
        node.Output.Add("y");
        graph.Node.Add(node);
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    private static ValueInfoProto Value(string name, long width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
