using FleetQuant.Grains.Artifacts;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Tests.Support;
using FleetQuant.TestSupport;

namespace FleetQuant.Grains.Tests;

public sealed class ModelGrainTests(FleetClusterFixture fleet) : IClassFixture<FleetClusterFixture>
{
    [Fact]
    public async Task AddVersion_LadderIsBuiltInBackground_AndBecomesReady()
    {
        var version = await fleet.ReadyModelAsync("ladder-model");

        Assert.Equal(ModelStatus.Ready, version.Status);
        Assert.Equal(FleetClusterFixture.LadderRecipes, version.Ladder!.Rungs.Select(r => r.Id));
        Assert.All(version.Ladder.Rungs, r => Assert.Null(r.Error));
        var fp32 = version.Ladder.Rungs.Single(r => r.Id == "fp32");
        Assert.True(version.Ladder.Rungs.Single(r => r.Id == "q4b32a").WireBytes < fp32.WireBytes / 4);
    }

    [Fact]
    public async Task AddVersion_BrokenOnnx_IsRefusedWithReason_AndRecordsNoVersion()
    {
        var model = fleet.Client.GetGrain<IModelGrain>("broken-model");

        var refused = await Assert.ThrowsAsync<InvalidModelUploadException>(() => model.AddVersion(new ModelVersionUpload("v1", [1, 2, 3, 4], null)));

        Assert.Contains("not a valid ONNX model", refused.Message);
        Assert.Null(await model.GetVersion("v1"));
        await Assert.ThrowsAsync<ModelVersionNotFoundException>(() => model.GetLadder("v1"));
    }

    [Fact]
    public async Task AddVersion_SameVersionDifferentBytes_IsRejected()
    {
        await fleet.ReadyModelAsync("versioned-model");
        var model = fleet.Client.GetGrain<IModelGrain>("versioned-model");

        await Assert.ThrowsAsync<ModelVersionExistsException>(() => model.AddVersion(new ModelVersionUpload("v1", TestModels.TinyMlp(99), null)));
    }

    [Fact]
    public async Task GetArtifact_ConcurrentRequests_BuildOnceAndShareTheResult()
    {
        await fleet.ReadyModelAsync("dedupe-model");
        var model = fleet.Client.GetGrain<IModelGrain>("dedupe-model");
        var before = fleet.Compression.BuildsStarted;

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => model.GetArtifact("v1", "q8cs")));

        Assert.Equal(1, fleet.Compression.BuildsStarted - before);
        Assert.Single(results.Select(r => r.Hash).Distinct());
        var stored = await new FileArtifactStore(Path.Combine(fleet.DataDirectory)).ReadAsync(results[0].Hash);
        Assert.Equal(results[0].Bytes, stored.LongLength);
        var again = await model.GetArtifact("v1", "q8cs");
        Assert.Equal(results[0], again);
        Assert.Equal(1, fleet.Compression.BuildsStarted - before);
    }

    [Fact]
    public async Task GetArtifact_UnknownRecipe_IsRejected()
    {
        await fleet.ReadyModelAsync("ladder-model");
        var model = fleet.Client.GetGrain<IModelGrain>("ladder-model");

        await Assert.ThrowsAsync<RecipeNotAvailableException>(() => model.GetArtifact("v1", "p90"));
    }
}
