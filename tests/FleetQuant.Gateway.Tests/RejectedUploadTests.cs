using System.Net;
using System.Security.Cryptography;
using FleetQuant.Compression.Data;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;

namespace FleetQuant.Gateway.Tests;

/// <summary>A model upload the server refuses stores nothing: its own host, so the artifact store holds only what these tests put there.</summary>
public sealed class RejectedUploadTests(AllInOneHost host) : IClassFixture<AllInOneHost>
{
    private string ArtifactDirectory => Path.Combine(host.DataDirectory, "artifacts");

    private string[] StoredFiles() =>
        Directory.Exists(ArtifactDirectory) ? Directory.GetFiles(ArtifactDirectory, "*", SearchOption.AllDirectories) : [];

    [Fact]
    public async Task Upload_OfRandomBytesWithAnEvaluationSet_IsRefused_AndLeavesNoBlob()
    {
        var before = StoredFiles();
        var random = RandomNumberGenerator.GetBytes((int)(AllInOneHost.UploadLimit * 3 / 4));
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(random), "model", "random.onnx" },
            { new ByteArrayContent(NpyFiles.Floats([2, 784])), "evalData", "eval.npy" },
        };

        var response = await host.Http.PostAsync("/api/models/rejected-random/versions", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, StoredFiles());
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync("/api/models/rejected-random")).StatusCode);
    }

    [Fact]
    public async Task Upload_OfRandomBytesWithoutData_IsRefused_AndLeavesNoBlob()
    {
        var before = StoredFiles();
        using var form = new MultipartFormDataContent { { new ByteArrayContent(RandomNumberGenerator.GetBytes(256 * 1024)), "model", "random.onnx" } };

        var response = await host.Http.PostAsync("/api/models/rejected-random-bare/versions", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, StoredFiles());
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync("/api/models/rejected-random-bare")).StatusCode);
    }

    [Fact]
    public async Task Upload_WithAnEvaluationSetThatDoesNotFit_LeavesNoBlob()
    {
        var before = StoredFiles();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(await File.ReadAllBytesAsync(SampleData.ModelPath("fashion-mlp-v1.onnx"))), "model", "m.onnx" },
            { new ByteArrayContent(NpyFiles.Floats([2, 784])), "evalData", "eval.npy" },
            { new ByteArrayContent(NpyFiles.Floats([3, 100])), "calibrationData", "calibration.npy" },
        };

        var response = await host.Http.PostAsync("/api/models/rejected-calibration/versions", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, StoredFiles());
    }
}
