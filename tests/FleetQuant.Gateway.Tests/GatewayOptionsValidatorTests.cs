using FleetQuant.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Tests;

public sealed class GatewayOptionsValidatorTests
{
    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("short-token", false)]
    [InlineData("                    ", false)]
    [InlineData("metrics-token-0123456789", true)]
    public void MetricsToken_IsUnsetOrAtLeast16Characters(string? token, bool valid)
    {
        var result = new DataAnnotationValidateOptions<GatewayOptions>(null).Validate(null, new GatewayOptions { MetricsToken = token });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("FleetQuant:Gateway:MetricsToken", result.FailureMessage);
        }
    }
}
