using FleetQuant.Gateway.Broker;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Gateway.Mosquitto;
using FleetQuant.Grains.Credentials;
using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Fleet;
using FleetQuant.Grains.Manifests;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Topics;
using Microsoft.Extensions.Options;
using Contract = FleetQuant.Api.Contracts;

namespace FleetQuant.Gateway.Api;

/// <summary><c>/api/devices</c>: provision, list and show devices.</summary>
public static class DeviceEndpoints
{
    private const int MaxTake = 1000;

    public static RouteGroupBuilder MapDeviceEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/devices", ProvisionAsync).WithSummary("Provision a device: returns its secret (shown once), the broker address and the server public key.");
        api.MapPost("/devices/{deviceId}/secret", RotateSecretAsync)
            .WithSummary("Rotate a device's secret: returns the new one (shown once); the old secret is refused from now on.");
        api.MapGet("/devices", ListAsync).WithSummary("List devices: tag=k=v (repeatable), class, state, recipe, after, take.");
        api.MapGet("/devices/{deviceId}", ShowAsync).WithSummary("One device: profile, state, plan, desired state, telemetry, history.");
        return api;
    }

    private static async Task<Contract.ProvisionDeviceResponse> ProvisionAsync(HttpRequest request, IGrainFactory grains, BrokerEndpoint broker,
        GatewayAccount account, IOptions<GatewayOptions> options, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<Contract.ProvisionDeviceRequest>(request, cancellationToken);
        if (!DeviceTopics.IsValidDeviceId(body.DeviceId))
        {
            throw ApiRequestException.BadRequest($"device id must be {DeviceTopics.DeviceIdGrammar}");
        }
        if (body.DeviceId == account.User)
        {
            throw ApiRequestException.BadRequest($"'{account.User}' is the Gateway's own broker account and cannot be a device id");
        }
        // Placeholder hardware numbers: the device's first hello replaces them with what it measured.
        var profile = new DeviceProfileInfo(body.DeviceId, body.HardwareClass ?? "unknown", DeviceProfile.UnknownArch, 1, [], 1, 1, 0, 1, null, "", "",
            body.Tags ?? new Dictionary<string, string>());
        var result = await grains.GetGrain<IDeviceGrain>(body.DeviceId).Provision(new ProvisionRequest(profile, null));
        return await CredentialsAsync(result, grains, broker, options.Value);
    }

    private static async Task<Contract.ProvisionDeviceResponse> RotateSecretAsync(string deviceId, IGrainFactory grains, BrokerEndpoint broker,
        IOptions<GatewayOptions> options)
    {
        if (!DeviceTopics.IsValidDeviceId(deviceId))
        {
            throw ApiRequestException.BadRequest($"device id must be {DeviceTopics.DeviceIdGrammar}");
        }
        // The grain tells every Gateway to forget the old secret and close the device's session.
        var result = await grains.GetGrain<IDeviceGrain>(deviceId).RotateSecret();
        return await CredentialsAsync(result, grains, broker, options.Value);
    }

    private static async Task<Contract.ProvisionDeviceResponse> CredentialsAsync(ProvisionResult result, IGrainFactory grains, BrokerEndpoint broker, GatewayOptions settings)
    {
        await grains.GetGrain<IBrokerCredentialGrain>(result.DeviceId).Set(MosquittoPasswordHash.Create(result.Secret));
        var publicKey = await grains.GetGrain<IManifestGrain>(0).GetPublicKeyPem();
        return new Contract.ProvisionDeviceResponse(result.DeviceId, result.Secret, settings.PublicMqttHost ?? broker.Host, settings.PublicMqttPort ?? broker.Port, publicKey);
    }

    private static async Task<Contract.DeviceListResponse> ListAsync(HttpRequest request, IGrainFactory grains)
    {
        var query = request.Query;
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in query["tag"])
        {
            var eq = tag?.IndexOf('=') ?? -1;
            if (eq <= 0)
            {
                throw ApiRequestException.BadRequest($"tag filter '{tag}' must be key=value");
            }
            tags[tag![..eq]] = tag[(eq + 1)..];
        }
        var classes = query["class"].Where(c => !string.IsNullOrEmpty(c)).Select(c => c!).ToList();
        DeviceState? state = null;
        if (query["state"].FirstOrDefault() is { Length: > 0 } stateText)
        {
            state = Enum.TryParse<DeviceState>(stateText, ignoreCase: true, out var parsed)
                ? parsed
                : throw ApiRequestException.BadRequest($"state must be one of {string.Join(", ", Enum.GetNames<DeviceState>())}");
        }
        var recipe = query["recipe"].FirstOrDefault();
        var take = 100;
        if (query["take"].FirstOrDefault() is { Length: > 0 } takeText && (!int.TryParse(takeText, out take) || take is < 1 or > MaxTake))
        {
            throw ApiRequestException.BadRequest($"take must be 1..{MaxTake}");
        }
        var after = query["after"].FirstOrDefault();
        var page = await grains.GetGrain<IFleetQueryGrain>(0).List(new TargetSelector(tags, classes, []), after, take);
        // State and recipe are filtered on the page: the index selects by tags and class.
        var devices = page.Devices.Where(d => (state is null || d.State == state) && (string.IsNullOrEmpty(recipe) || d.RecipeId == recipe))
            .Select(d => d.ToContract()).ToList();
        var next = page.Devices.Count == take ? page.Devices[^1].DeviceId : null;
        return new Contract.DeviceListResponse(devices, page.Total, next);
    }

    private static async Task<Contract.DeviceView> ShowAsync(string deviceId, IGrainFactory grains)
    {
        if (!DeviceTopics.IsValidDeviceId(deviceId))
        {
            throw ApiRequestException.BadRequest($"device id must be {DeviceTopics.DeviceIdGrammar}");
        }
        var view = await grains.GetGrain<IDeviceGrain>(deviceId).GetView();
        return view.Profile is null ? throw ApiRequestException.NotFound($"device '{deviceId}' is not provisioned") : view.ToContract();
    }
}
