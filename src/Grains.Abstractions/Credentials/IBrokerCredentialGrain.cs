namespace FleetQuant.Grains.Credentials;

/// <summary>
/// A device's secret in Mosquitto's password-file form (PBKDF2-SHA512 <c>$7$</c>), stored at provisioning so an
/// external Mosquitto broker can authenticate devices from a generated <c>password_file</c> (key: device id).
/// </summary>
[Alias("fq.IBrokerCredentialGrain")]
public interface IBrokerCredentialGrain : IGrainWithStringKey
{
    [Alias("Set")]
    Task Set(string mosquittoHash);

    [Alias("Get")]
    Task<string?> Get();
}
