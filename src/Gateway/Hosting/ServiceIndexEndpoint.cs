namespace FleetQuant.Gateway.Hosting;

/// <summary>What <c>GET /</c> answers: where the API, its description, metrics and health checks are. No fleet data.</summary>
public sealed record ServiceIndex(string Service, string Api, string OpenApi, string? Metrics, string? Health, string? Alive);

/// <summary>Maps <c>/</c> to a small public index, so a person or a probe at the bare address learns where to go.</summary>
public static class ServiceIndexEndpoint
{
    public static WebApplication MapServiceIndex(this WebApplication app)
    {
        // Links are listed only when mapped: the standalone Gateway has no /health, metrics can be disabled.
        app.MapGet("/", (EndpointDataSource endpoints) =>
        {
            var routes = endpoints.Endpoints.OfType<RouteEndpoint>().Select(e => "/" + e.RoutePattern.RawText?.TrimStart('/')).ToHashSet(StringComparer.Ordinal);
            string? Mapped(string path) => routes.Contains(path) ? path : null;
            return new ServiceIndex("FleetQuant Gateway", "/api", "/openapi/v1.json", Mapped("/metrics"), Mapped("/health"), Mapped("/alive"));
        }).ExcludeFromDescription();
        return app;
    }
}
