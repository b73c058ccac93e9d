using System.Diagnostics;
using FleetQuant.Gateway.Mosquitto;

namespace FleetQuant.Gateway.Tests;

[Trait("Category", "Mosquitto")]
public sealed class MosquittoPasswordHashTests
{
    [Fact]
    public void Create_ThenVerify_AcceptsOnlyTheSamePassword()
    {
        var hash = MosquittoPasswordHash.Create("s3cret-device-password");
        Assert.Matches(@"^\$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$", hash);
        Assert.True(MosquittoPasswordHash.Verify("s3cret-device-password", hash));
        Assert.False(MosquittoPasswordHash.Verify("s3cret-device-passwore", hash));
        Assert.False(MosquittoPasswordHash.Verify("x", "$7$not-a-hash"));
    }

    [Fact]
    public async Task Verify_AcceptsAHashWrittenByMosquittoPasswd()
    {
        const string Tool = "/usr/bin/mosquitto_passwd";
        Assert.True(File.Exists(Tool), "mosquitto_passwd (Debian package mosquitto) is needed to check format compatibility");
        var file = Path.GetTempFileName();
        try
        {
            using var process = Process.Start(new ProcessStartInfo(Tool, ["-c", "-b", file, "dev-7", "pa55-word-from-tool"]) { RedirectStandardError = true })!;
            await process.WaitForExitAsync();
            Assert.Equal(0, process.ExitCode);
            var hash = (await File.ReadAllTextAsync(file)).Trim().Split(':', 2)[1];
            Assert.True(MosquittoPasswordHash.Verify("pa55-word-from-tool", hash), hash);
            Assert.False(MosquittoPasswordHash.Verify("wrong", hash));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
