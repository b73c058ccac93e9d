using System.Net;
using System.Net.Http.Json;
using System.Text;
using FleetQuant.Gateway.Tests.Support;

namespace FleetQuant.Gateway.Tests;

/// <summary>The operator API refuses what it would otherwise misread: one careless request must not hurt the fleet.</summary>
public sealed class OperatorApiStrictnessTests(AllInOneHost host) : IClassFixture<AllInOneHost>
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task CreateRollout_WithSelectorAsGetShowsIt_Returns400NamingTheField()
    {
        var response = await host.Http.PostAsync("/api/rollouts",
            Json("""{"rolloutId":"strict-selector","modelId":"m","version":"1","selector":{"deviceIds":["d1"]}}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("unknown field 'selector'", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync("/api/rollouts/strict-selector")).StatusCode);
    }

    [Fact]
    public async Task Provision_WithUnknownField_Returns400NamingTheField()
    {
        var response = await host.Http.PostAsync("/api/devices", Json("""{"deviceId":"strict-dev-1","hardwareClas":"pi4"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("unknown field 'hardwareClas'", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync("/api/devices/strict-dev-1")).StatusCode);
    }

    [Fact]
    public async Task CreateRollout_WithUnknownNestedField_Returns400NamingTheField()
    {
        var response = await host.Http.PostAsync("/api/rollouts",
            Json("""{"modelId":"m","version":"1","waves":[{"count":1,"size":3}]}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("unknown field 'size'", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Provision_IdOutsideTheGrammar_Returns400(string deviceId)
    {
        var response = await host.Http.PostAsJsonAsync("/api/devices", new { deviceId });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not starting with '.'", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Provision_IdOfExactly64Characters_IsAccepted()
    {
        var response = await host.Http.PostAsJsonAsync("/api/devices", new { deviceId = new string('b', 64) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
