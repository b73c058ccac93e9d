using FleetQuant.Grains.Rollouts;

namespace FleetQuant.Grains.Devices;

/// <summary>
/// One device (key: device id). Device-facing methods are what the Gateway calls for a connected device;
/// operator- and rollout-facing methods provision it, show it and move it between model versions.
/// </summary>
[Alias("fq.IDeviceGrain")]
public interface IDeviceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Registers a new device; throws <see cref="DeviceAlreadyProvisionedException"/> when this id is already provisioned
    /// (its secret changes only through <see cref="RotateSecret"/>).
    /// </summary>
    [Alias("Provision")]
    Task<ProvisionResult> Provision(ProvisionRequest request);

    /// <summary>Replaces the device's secret with a new random one, returned once; the old secret is refused from now on
    /// and every Gateway is told to forget it and close the device's open session.</summary>
    [Alias("RotateSecret")]
    Task<ProvisionResult> RotateSecret();

    /// <summary>Constant-time check of a presented secret against the stored salted hash.</summary>
    [Alias("VerifyCredentials")]
    Task<bool> VerifyCredentials(string secret);

    /// <summary>A device connected: records its profile and current artifact and returns what it should run.</summary>
    [Alias("Hello")]
    Task<DesiredState?> Hello(DeviceHello hello);

    [Alias("ReportTelemetry")]
    Task ReportTelemetry(TelemetryReport report);

    [Alias("ReportUpdate")]
    Task ReportUpdate(UpdateProgress progress);

    /// <summary>
    /// The device's connection went up or down (its status message, or its last will). Applied in arrival order:
    /// the Gateway delivers one device's status messages in the order the broker sent them.
    /// </summary>
    [Alias("ReportConnection")]
    Task ReportConnection(bool online);

    /// <summary>
    /// The Gateway served <paramref name="length"/> bytes at <paramref name="offset"/> of <paramref name="objectSha256"/>
    /// (the desired artifact or its delta) to this device: the evidence a later success report is checked against.
    /// </summary>
    [Alias("RecordChunkServed")]
    Task RecordChunkServed(string objectSha256, long offset, long length);

    [Alias("GetDesiredState")]
    Task<DesiredState?> GetDesiredState();

    [Alias("GetTelemetry")]
    Task<TelemetryAggregates> GetTelemetry();

    [Alias("GetView")]
    Task<DeviceView> GetView();

    /// <summary>Plans the move to a model version and, when fit, makes it the desired state (new release).</summary>
    [Alias("Assign")]
    Task<AssignmentResult> Assign(ModelAssignment assignment);

    /// <summary>
    /// Undoes what <paramref name="rolloutId"/> assigned: the desired state goes back to the model the device
    /// ran before, as a delta when one can be built. Returns the new desired state, or null if nothing changed.
    /// </summary>
    [Alias("RollBack")]
    Task<DesiredState?> RollBack(string rolloutId);

    /// <summary>How far this device got with what <paramref name="rolloutId"/> assigned (rollouts reconcile with it after a restart).</summary>
    [Alias("GetRolloutStatus")]
    Task<DeviceRolloutStatus> GetRolloutStatus(string rolloutId);
}

/// <summary>A device-facing call came for an id that was never provisioned.</summary>
[GenerateSerializer, Alias("fq.DeviceNotProvisionedException")]
public sealed class DeviceNotProvisionedException : Exception
{
    public DeviceNotProvisionedException()
    {
    }

    public DeviceNotProvisionedException(string deviceId) : base($"device '{deviceId}' is not provisioned; provision it before it connects")
    {
    }
}

/// <summary>A device was provisioned under an id that already belongs to a provisioned device.</summary>
[GenerateSerializer, Alias("fq.DeviceAlreadyProvisionedException")]
public sealed class DeviceAlreadyProvisionedException : Exception
{
    public DeviceAlreadyProvisionedException()
    {
    }

    public DeviceAlreadyProvisionedException(string deviceId)
        : base($"device '{deviceId}' is already provisioned; rotate its secret with POST /api/devices/{deviceId}/secret")
    {
    }
}
