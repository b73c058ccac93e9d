namespace FleetQuant.TestSupport;

/// <summary>
/// Where <c>scripts/fetch-corpus</c> keeps the third-party models: <c>$FLEETQUANT_CORPUS</c>, default
/// <c>~/.cache/fleetquant/corpus</c>. A missing model fails the test: a silent skip would hide that the engine was never
/// exercised on real graphs.
/// </summary>
public static class CorpusFiles
{
    public static string Directory =>
        Environment.GetEnvironmentVariable("FLEETQUANT_CORPUS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "fleetquant", "corpus");

    public static string PathOf(string fileName)
    {
        var path = Path.Combine(Directory, fileName);
        if (!File.Exists(path))
        {
            Assert.Fail($"corpus model {fileName} is missing from {Directory}: run scripts/fetch-corpus (or set FLEETQUANT_CORPUS)");
        }
        return path;
    }
}
