using System.Net.Http.Headers;
using System.Net.Http.Json;
using FleetQuant.Demo;

namespace FleetQuant.Cli.Tests.Operator;

/// <summary>A real all-in-one server (silo, SQLite, Gateway, embedded broker) in the test process, shared by a test class.</summary>
public sealed class OperatorServerFixture : IAsyncLifetime
{
    public AllInOneServer Server { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>The flags that point a verb at this server.</summary>
    public string[] Connection => ["--server", Server.Url.ToString(), "--token", Server.Token];

    public async Task InitializeAsync()
    {
        Server = await AllInOneServer.StartAsync(new AllInOneServerOptions { LadderRecipes = ["q8cs"], LadderMixedPrecision = false }, CancellationToken.None);
        Http = new HttpClient { BaseAddress = Server.Url };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Server.Token);
    }

    public async Task ProvisionAsync(string deviceId, string hardwareClass, string site)
    {
        var response = await Http.PostAsJsonAsync("/api/devices", new { deviceId, hardwareClass, tags = new Dictionary<string, string> { ["site"] = site } });
        response.EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}
