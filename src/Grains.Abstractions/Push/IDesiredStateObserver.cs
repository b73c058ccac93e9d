using FleetQuant.Grains.Manifests;

namespace FleetQuant.Grains.Push;

/// <summary>A Gateway's callback for desired-state changes of devices it may serve; it publishes them retained.</summary>
[Alias("fq.IDesiredStateObserver")]
public interface IDesiredStateObserver : IGrainObserver
{
    [Alias("DesiredStateChanged")]
    Task DesiredStateChanged(SignedDesiredState state);
}
