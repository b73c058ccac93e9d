using System.Text.Json.Serialization;
using FleetQuant.Gateway.Api;
using FleetQuant.Gateway.Bridge;
using FleetQuant.Gateway.Broker;
using FleetQuant.Grains.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Hosting;

/// <summary>
/// Wires the Gateway into a web application: options, the embedded broker (unless an external one is configured),
/// the MQTT bridge, the desired-state relay and the operator REST API. Needs an <see cref="IGrainFactory"/>: the
/// co-hosted silo's, or an Orleans client's (<see cref="GatewayClientHosting.AddFleetQuantOrleansClient"/>).
/// </summary>
public static class GatewayHostingExtensions
{
    public static WebApplicationBuilder AddFleetQuantGateway(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<GatewayOptions>(GatewayOptions.Section);
        services.AddValidatedOptions<MqttOptions>(MqttOptions.Section);

        services.AddMemoryCache(cache => cache.SizeLimit = 100_000);
        services.AddSingleton<GatewayCounters>();
        services.AddSingleton<BrokerEndpoint>();
        services.AddSingleton<GatewayAccount>();
        services.AddSingleton<DeviceCredentialCheck>();
        services.AddSingleton<DeviceRateLimiter>();
        services.AddSingleton<RefusalLog>();
        services.AddSingleton<DesiredStateCache>();
        services.AddSingleton<UplinkRouter>();
        services.AddSingleton<MqttBridge>();
        services.AddSingleton<DesiredStateRelay>();

        // Whether to run the embedded broker is decided now, so the broker settings are checked now too.
        var mqtt = builder.Configuration.GetValidated<MqttOptions>(MqttOptions.Section);
        if (mqtt.IsEmbedded)
        {
            // Registered before the bridge: hosted services start in order, so the broker listens before the bridge connects.
            services.AddSingleton<EmbeddedBroker>();
            services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        }
        services.AddHostedService(sp => sp.GetRequiredService<MqttBridge>());
        services.AddHostedService(sp => sp.GetRequiredService<DesiredStateRelay>());

        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddOpenApi();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            json.SerializerOptions.MaxDepth = 32;
            // A field the contract does not have is a mistake to report, never a default to apply silently
            // (a rollout "selector" ignored would target the whole fleet).
            json.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        });
        builder.AddFleetQuantMetrics();
        return builder;
    }

    public static WebApplication MapFleetQuantGateway(this WebApplication app)
    {
        app.UseExceptionHandler();
        var jsonLimit = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxJsonBodyBytes;
        app.Use(async (context, next) =>
        {
            // Small bodies by default; the model upload endpoint raises its own limit before reading.
            if (context.Request.Path.StartsWithSegments("/api") && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = jsonLimit;
            }
            await next(context);
        });
        app.MapOpenApi();
        app.MapFleetQuantMetrics();
        app.MapServiceIndex();
        var api = app.MapGroup("/api").AddEndpointFilter<OperatorTokenFilter>();
        api.MapDeviceEndpoints();
        api.MapModelEndpoints();
        api.MapRolloutEndpoints();
        api.MapBrokerEndpoints();
        return app;
    }
}
