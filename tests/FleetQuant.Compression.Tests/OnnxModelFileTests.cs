using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Tests.Support;
using FleetQuant.TestSupport;
using Microsoft.ML.OnnxRuntime;

namespace FleetQuant.Compression.Tests;

public sealed class OnnxModelFileTests
{
    [Fact]
    public void Load_ResNet18_ReadsTypedFloatData()
    {
        var model = OnnxModelFile.Load(ResNet18Model.Path);

        Assert.Equal(8, model.DefaultOpset());
        var conv = model.Graph.Initializer.First(t => t.Dims.Count == 4);
        Assert.Equal(TensorData.ElementCount(conv), TensorData.ReadFloats(conv).Length);
    }

    [Fact]
    public void Save_ThenLoad_RoundTripsAndRunsInOnnxRuntime()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fq-mlp-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxModelFile.Save(TestModels.Mlp(), path);
            var loaded = OnnxModelFile.Load(path);
            Assert.Equal(6, loaded.Graph.Initializer.Count);

            using var session = new InferenceSession(path);
            Assert.Equal("input", session.InputMetadata.Keys.Single());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_ExternalData_IsPulledIn()
    {
        var dir = Directory.CreateTempSubdirectory("fq-ext").FullName;
        var model = TestModels.Mlp();
        var weight = model.Graph.Initializer[0];
        var bytes = weight.RawData.ToByteArray();
        File.WriteAllBytes(Path.Combine(dir, "weights.bin"), [.. new byte[16], .. bytes]);
        weight.RawData = Google.Protobuf.ByteString.Empty;
        weight.DataLocation = TensorProto.Types.DataLocation.External;
        weight.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        weight.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "16" });
        weight.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = bytes.Length.ToString() });
        OnnxModelFile.Save(model, Path.Combine(dir, "m.onnx"));

        var loaded = OnnxModelFile.Load(Path.Combine(dir, "m.onnx"));

        Assert.Equal(bytes, loaded.Graph.Initializer[0].RawData.ToByteArray());
    }

    [Fact]
    public void Load_ExternalDataOutsideModelDirectory_IsRejected()
    {
        var dir = Directory.CreateTempSubdirectory("fq-ext").FullName;
        var model = TestModels.Mlp();
        var weight = model.Graph.Initializer[0];
        weight.RawData = Google.Protobuf.ByteString.Empty;
        weight.DataLocation = TensorProto.Types.DataLocation.External;
        weight.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
        OnnxModelFile.Save(model, Path.Combine(dir, "m.onnx"));

        var error = Assert.Throws<OnnxModelException>(() => OnnxModelFile.Load(Path.Combine(dir, "m.onnx")));
        Assert.Contains("outside", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3, 4, 5 })]
    [InlineData(new byte[] { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f })]
    public void Parse_Garbage_GivesTypedError(byte[] bytes)
    {
        Assert.Throws<OnnxModelException>(() => OnnxModelFile.Parse(bytes));
    }

    [Fact]
    public void Parse_TruncatedModel_GivesTypedError()
    {
        var bytes = OnnxModelFile.Serialize(TestModels.Mlp());
        Assert.Throws<OnnxModelException>(() => OnnxModelFile.Parse(bytes.AsSpan(0, bytes.Length / 2)));
    }
}
