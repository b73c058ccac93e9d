using System.Diagnostics;

namespace FleetQuant.TestSupport.Server;

/// <summary>
/// Mosquitto run the way Debian's package runs it and docs/OPERATIONS.md configures it: started as root it drops to the
/// <c>mosquitto</c> user, so the generated password and ACL files are owned by that user; <c>use_username_as_clientid</c>
/// is on.
/// </summary>
public sealed class PackagedMosquittoHost : MosquittoBrokerHost
{
    private const string BrokerUser = "mosquitto";

    protected override IEnumerable<string> BrokerSettings => ["use_username_as_clientid true"];

    protected override async Task PrepareFilesAsync(string passwords, string acl)
    {
        if (Environment.UserName == "root")
        {
            // Mosquitto opens these files after dropping to its own user: root-owned 0600 files would be unreadable.
            using var chown = Process.Start(new ProcessStartInfo("/usr/bin/chown", [$"{BrokerUser}:{BrokerUser}", passwords, acl]) { RedirectStandardError = true })!;
            var error = await chown.StandardError.ReadToEndAsync();
            await chown.WaitForExitAsync();
            Assert.True(chown.ExitCode == 0, $"chown of the Mosquitto files failed: {error}");
        }
    }
}
