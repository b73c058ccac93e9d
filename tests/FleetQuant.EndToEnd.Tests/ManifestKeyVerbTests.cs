using System.Text;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using FleetQuant.TestSupport;

namespace FleetQuant.EndToEnd.Tests;

/// <summary><c>FleetQuant.Silo manifest-key rotate</c>: the offline rotation for keys deployed from a secret, as a process.</summary>
public sealed class ManifestKeyVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fq-cli-mkey").FullName;

    [Fact]
    public void Rotate_ReplacesTheKey_AndExtendsTheChainSignedByTheOldKey()
    {
        var keyPath = Path.Combine(_dir, "manifest-key.pem");
        using var first = ManifestKeys.Generate();
        File.WriteAllText(keyPath, first.ExportPkcs8PrivateKeyPem());

        var once = RunSilo("manifest-key", "rotate", "--key", keyPath);
        var twice = RunSilo("manifest-key", "rotate", "--key", keyPath);

        Assert.True(once.ExitCode == 0, once.StdErr);
        Assert.True(twice.ExitCode == 0, twice.StdErr);
        Assert.Contains("(rotation 2)", twice.StdOut);
        using var current = ManifestKeys.ImportPem(File.ReadAllText(keyPath));
        var chain = ProtocolJson.Deserialize<SignedKeyRotation[]>(File.ReadAllBytes(Path.Combine(_dir, "manifest-rotations.json")));
        Assert.Equal(ManifestKeys.KeyId(first), chain[0].KeyId);
        Assert.Equal(ManifestKeys.KeyId(current), ProtocolJson.Deserialize<KeyRotation>(Encoding.UTF8.GetBytes(chain[^1].Payload)).NewKeyId);
        Assert.True(File.Exists($"{keyPath}.{ManifestKeys.KeyId(first)}.retired"));
    }

    [Fact]
    public void Rotate_WithoutAKeyFile_FailsWithOneLine()
    {
        var result = RunSilo("manifest-key", "rotate", "--key", Path.Combine(_dir, "missing.pem"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no manifest key at", result.StdErr);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ProcessResult RunSilo(params string[] args) =>
        DotnetProcess.RunAsync("FleetQuant.Silo.dll", TimeSpan.FromMinutes(2), args).GetAwaiter().GetResult();
}
