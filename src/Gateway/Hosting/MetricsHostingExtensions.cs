using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Observability;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace FleetQuant.Gateway.Hosting;

/// <summary>
/// OpenTelemetry metrics for a Gateway (co-hosted in the silo or on its own): the FleetQuant meter, Orleans', ASP.NET
/// Core's and the .NET runtime's, exported in Prometheus text format at <c>/metrics</c>; plus the sampler that keeps
/// the fleet gauges current.
/// </summary>
public static class MetricsHostingExtensions
{
    /// <summary>Meters exported besides FleetQuant's: Orleans runtime, ASP.NET Core hosting/Kestrel/routing, .NET runtime.</summary>
    public static readonly IReadOnlyList<string> FrameworkMeters =
    [
        "Microsoft.Orleans",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "System.Runtime",
    ];

    public static WebApplicationBuilder AddFleetQuantMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<MetricsOptions>(MetricsOptions.Section);
        var options = builder.Configuration.GetValidated<MetricsOptions>(MetricsOptions.Section);
        if (!options.Enabled)
        {
            return builder;
        }
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("fleetquant"))
            .WithMetrics(metrics => metrics
                .AddMeter(FleetQuantMetrics.MeterName)
                .AddMeter([.. FrameworkMeters])
                .AddPrometheusExporter());
        builder.Services.AddHostedService<FleetGaugeSampler>();
        return builder;
    }

    /// <summary>
    /// Maps <c>/metrics</c>. No operator token (it carries counts, never device ids or secrets); with
    /// <c>FleetQuant:Gateway:MetricsToken</c> set, a scrape must present that token as a bearer token.
    /// </summary>
    public static WebApplication MapFleetQuantMetrics(this WebApplication app)
    {
        if (app.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() is { Enabled: false })
        {
            return app;
        }
        var token = app.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>()?.MetricsToken;
        if (string.IsNullOrEmpty(token))
        {
            app.MapPrometheusScrapingEndpoint();
        }
        else
        {
            var check = new MetricsTokenCheck(token);
            app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null,
                configureBranchedPipeline: branch => branch.Use(check.InvokeAsync), optionsName: null);
        }
        return app;
    }
}
