namespace FleetQuant.Grains.Gateway;

/// <summary>
/// A Gateway's callback from the silo: desired-state changes of devices it may serve (it publishes them retained),
/// and revoked device credentials (it forgets them and closes the device's open session).
/// </summary>
[Alias("fq.IDesiredStateObserver")]
public interface IDesiredStateObserver : IGrainObserver
{
    [Alias("DesiredStateChanged")]
    Task DesiredStateChanged(SignedDesiredState state);

    [Alias("CredentialsRevoked")]
    Task CredentialsRevoked(string deviceId);
}
