using System.Security.Cryptography;
using FleetQuant.DeviceAgent.Storage;

namespace FleetQuant.DeviceAgent.Tests;

public sealed class ModelStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fq-store").FullName;

    [Fact]
    public void Activate_KeepsPreviousModel_AndStateSurvivesReopen()
    {
        var store = new ModelStore(_dir);
        var first = Install(store, [1, 2, 3], release: 1);
        var second = Install(store, [4, 5, 6], release: 2);

        var reopened = new ModelStore(_dir);

        Assert.Equal(second, reopened.State.Current);
        Assert.Equal(first, reopened.State.Previous);
        Assert.Equal(2, reopened.State.LastAcceptedRelease);
        Assert.Equal(second, reopened.Bootable());
    }

    [Fact]
    public void Bootable_FallsBackToPrevious_WhenCurrentArtifactIsDamaged()
    {
        var store = new ModelStore(_dir);
        var first = Install(store, [1, 2, 3], release: 1);
        var second = Install(store, [4, 5, 6], release: 2);
        File.WriteAllBytes(store.ArtifactPath(second.ArtifactSha256), [9, 9]);

        Assert.Equal(first, new ModelStore(_dir).Bootable());
    }

    [Fact]
    public void Stage_WithoutActivate_LeavesCurrentModelInCharge()
    {
        var store = new ModelStore(_dir);
        var first = Install(store, [1, 2, 3], release: 1);
        byte[] staged = [7, 7, 7];
        store.Stage(Hash(staged), staged, [0]);

        var reopened = new ModelStore(_dir);

        Assert.Equal(first, reopened.Bootable());
        Assert.Equal(1, reopened.State.LastAcceptedRelease);
    }

    [Fact]
    public void Activate_RemovesFilesNoLongerReferenced()
    {
        var store = new ModelStore(_dir);
        var first = Install(store, [1], release: 1);
        Install(store, [2], release: 2);
        Install(store, [3], release: 3);

        Assert.False(File.Exists(store.ArtifactPath(first.ArtifactSha256)));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static InstalledModel Install(ModelStore store, byte[] artifact, long release)
    {
        var model = new InstalledModel(Hash(artifact), "m", (int)release, "q8cs", release);
        store.Stage(model.ArtifactSha256, artifact, [0x08]);
        store.Activate(model);
        return model;
    }

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
