using FleetQuant.Cli.Operator;

namespace FleetQuant.Cli.Tests.Operator;

public sealed class OperatorSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fq-cli-config").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Resolve_PrefersFlags_ThenEnvironment_ThenConfigFile()
    {
        var config = Write("""{"server": "http://file:1", "token": "file-token-0123456789"}""");
        var env = Env(("FLEETQUANT_CONFIG", config), ("FLEETQUANT_SERVER", "http://env:2"));

        Assert.Equal(new OperatorSettings(new Uri("http://flag:3"), "flag-token"), OperatorSettings.Resolve("http://flag:3", "flag-token", env));
        Assert.Equal(new OperatorSettings(new Uri("http://env:2"), "file-token-0123456789"), OperatorSettings.Resolve(null, null, env));
        Assert.Equal(new Uri("http://file:1"), OperatorSettings.Resolve(null, null, Env(("FLEETQUANT_CONFIG", config))).Server);
    }

    [Fact]
    public void Resolve_WithoutServerAnywhere_UsesTheAllInOneDefault()
    {
        var settings = OperatorSettings.Resolve(null, "t", Env(("FLEETQUANT_CONFIG", Path.Combine(_dir, "missing.json"))));

        Assert.Equal(new Uri(OperatorSettings.DefaultServer), settings.Server);
    }

    [Theory]
    [InlineData("""{"server": "http://x:1"}""", "no operator token")]
    [InlineData("""{"server": "ftp://x", "token": "t"}""", "not an http(s) URL")]
    [InlineData("""{"server": """, "not valid JSON")]
    public void Resolve_BadOrIncompleteConfig_SaysWhatToFix(string content, string expected)
    {
        var env = Env(("FLEETQUANT_CONFIG", Write(content)));

        var error = Assert.Throws<OperatorConfigException>(() => OperatorSettings.Resolve(null, null, env));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Resolve_HugeConfigFile_IsRefusedWithoutReadingIt()
    {
        var path = Path.Combine(_dir, "huge.json");
        File.WriteAllBytes(path, new byte[1 << 20]);

        var error = Assert.Throws<OperatorConfigException>(() => OperatorSettings.Resolve(null, null, Env(("FLEETQUANT_CONFIG", path))));

        Assert.Contains("small JSON object", error.Message);
    }

    [Fact]
    public void ConfigPath_FollowsXdgConfigHome()
    {
        Assert.Equal(Path.Combine("/xdg", "fleetquant", "config.json"), OperatorSettings.ConfigPath(Env(("XDG_CONFIG_HOME", "/xdg"))));
    }

    private string Write(string content)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, content);
        return path;
    }

    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;
}
