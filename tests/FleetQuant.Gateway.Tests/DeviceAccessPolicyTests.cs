using FleetQuant.Gateway.Broker;

namespace FleetQuant.Gateway.Tests;

public sealed class DeviceAccessPolicyTests
{
    [Theory]
    [InlineData("dev-1", "fq/dev-1/up/hello", true)]
    [InlineData("dev-1", "fq/dev-1/up/chunk-request", true)]
    [InlineData("dev-1", "fq/dev-2/up/hello", false)]
    [InlineData("dev-1", "fq/dev-1/down/desired", false)]
    [InlineData("dev-1", "fq/dev-1/up/status", true)]
    [InlineData("dev-1", "fq/dev-1/up/junk1", false)]
    [InlineData("dev-1", "fq/dev-1/up/hello/more", false)]
    [InlineData("dev-1", "fq/dev-1/up/", false)]
    [InlineData("dev-1", "fq/dev-1/up/#", false)]
    [InlineData("dev-1", "fq/dev-1-evil/up/hello", false)]
    [InlineData("bad/id", "fq/bad/id/up/hello", false)]
    public void MayPublish_OnlyUnderOwnUplink(string deviceId, string topic, bool allowed) =>
        Assert.Equal(allowed, DeviceAccessPolicy.MayPublish(deviceId, topic));

    [Theory]
    [InlineData("dev-1", "fq/dev-1/down/#", true)]
    [InlineData("dev-1", "fq/dev-1/down/desired", true)]
    [InlineData("dev-1", "fq/dev-2/down/#", false)]
    [InlineData("dev-1", "fq/+/down/#", false)]
    [InlineData("dev-1", "#", false)]
    [InlineData("dev-1", "$share/g/fq/dev-1/down/#", false)]
    [InlineData("dev-1", "fq/dev-1/up/#", false)]
    public void MaySubscribe_OnlyUnderOwnDownlink(string deviceId, string filter, bool allowed) =>
        Assert.Equal(allowed, DeviceAccessPolicy.MaySubscribe(deviceId, filter));
}
