using FleetQuant.Grains.Artifacts;

namespace FleetQuant.Grains.Tests;

public sealed class ArtifactStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fq-store-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Put_ThenRead_ReturnsSameBytesUnderTheirSha256()
    {
        var store = new FileArtifactStore(_dir);
        byte[] bytes = [1, 2, 3, 4, 5];

        var hash = await store.PutAsync(bytes);

        Assert.Equal(ContentHash.Of(bytes), hash);
        Assert.True(store.Exists(hash));
        Assert.Equal(5, store.GetSize(hash));
        Assert.Equal(bytes, await store.ReadAsync(hash));
        await using var stream = await store.OpenReadAsync(hash);
        Assert.Equal(5, stream.Length);
    }

    [Fact]
    public async Task Put_SameContentTwice_KeepsOneFileAndNoTempFiles()
    {
        var store = new FileArtifactStore(_dir);
        byte[] bytes = [9, 9, 9];

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.PutAsync(bytes)));

        Assert.Single(results.Distinct());
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "tmp")));
        Assert.Single(Directory.GetFiles(_dir, results[0], SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Read_CorruptedFile_ThrowsCorrupt()
    {
        var store = new FileArtifactStore(_dir);
        var hash = await store.PutAsync(new byte[] { 1, 2, 3 });
        var path = Directory.GetFiles(_dir, hash, SearchOption.AllDirectories).Single();
        await File.WriteAllBytesAsync(path, [1, 2, 4]);

        await Assert.ThrowsAsync<ArtifactCorruptException>(() => store.ReadAsync(hash));
        await Assert.ThrowsAsync<ArtifactCorruptException>(() => store.OpenReadAsync(hash));
    }

    [Fact]
    public async Task Read_MissingOrMalformedHash_ThrowsTypedErrors()
    {
        var store = new FileArtifactStore(_dir);

        await Assert.ThrowsAsync<ArtifactNotFoundException>(() => store.ReadAsync(new string('a', 64)));
        await Assert.ThrowsAsync<ArtifactStoreException>(() => store.ReadAsync("../../etc/passwd"));
        Assert.Null(store.GetSize(new string('b', 64)));
    }
}
