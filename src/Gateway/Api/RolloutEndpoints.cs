using FleetQuant.Grains.Catalog;
using FleetQuant.Grains.Rollouts;
using FleetQuant.Protocol.Topics;

namespace FleetQuant.Gateway.Api;

/// <summary><c>/api/rollouts</c>: create (and start), list, show, pause, resume, abort, roll back.</summary>
public static class RolloutEndpoints
{
    public static RouteGroupBuilder MapRolloutEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/rollouts", CreateAsync).WithSummary("Create and start a rollout.");
        api.MapGet("/rollouts", ListAsync).WithSummary("All rollouts with their progress.");
        api.MapGet("/rollouts/{rolloutId}", async (string rolloutId, IGrainFactory grains) => await (await ExistingAsync(grains, rolloutId)).GetView());
        api.MapPost("/rollouts/{rolloutId}/pause", async (string rolloutId, HttpRequest request, IGrainFactory grains, CancellationToken ct) =>
            await (await ExistingAsync(grains, rolloutId)).Pause(await ReasonAsync(request, "paused by an operator", ct)));
        api.MapPost("/rollouts/{rolloutId}/resume", async (string rolloutId, IGrainFactory grains) => await (await ExistingAsync(grains, rolloutId)).Resume());
        api.MapPost("/rollouts/{rolloutId}/abort", async (string rolloutId, HttpRequest request, IGrainFactory grains, CancellationToken ct) =>
            await (await ExistingAsync(grains, rolloutId)).Abort(await ReasonAsync(request, "aborted by an operator", ct)));
        api.MapPost("/rollouts/{rolloutId}/rollback", async (string rolloutId, HttpRequest request, IGrainFactory grains, CancellationToken ct) =>
            await (await ExistingAsync(grains, rolloutId)).RollBack(await ReasonAsync(request, "rolled back by an operator", ct)));
        return api;
    }

    private static async Task<RolloutView> CreateAsync(HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<CreateRolloutRequest>(request, cancellationToken);
        var id = body.RolloutId ?? $"ro-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        var grain = Rollout(grains, id);
        await grain.Create(body.ToSpec());
        await grains.GetGrain<IOperatorCatalogGrain>(OperatorCatalogs.Rollouts).Add(id);
        return await grain.Start();
    }

    private static async Task<RolloutListResponse> ListAsync(IGrainFactory grains)
    {
        var ids = await grains.GetGrain<IOperatorCatalogGrain>(OperatorCatalogs.Rollouts).List(null, 1000);
        return new RolloutListResponse(await Task.WhenAll(ids.Select(id => grains.GetGrain<IRolloutGrain>(id).GetView())));
    }

    private static IRolloutGrain Rollout(IGrainFactory grains, string id) =>
        DeviceTopics.IsValidDeviceId(id) ? grains.GetGrain<IRolloutGrain>(id) : throw ApiRequestException.BadRequest($"rollout ids must be {DeviceTopics.DeviceIdGrammar}");

    /// <summary>The rollout grain, or 404 when no rollout was created under that id (grains exist for any id).</summary>
    private static async Task<IRolloutGrain> ExistingAsync(IGrainFactory grains, string id)
    {
        var grain = Rollout(grains, id);
        return (await grain.GetView()).Spec is null ? throw ApiRequestException.NotFound($"no rollout '{id}'") : grain;
    }

    private static async Task<string> ReasonAsync(HttpRequest request, string fallback, CancellationToken cancellationToken)
    {
        if (request.ContentLength is null or 0)
        {
            return fallback;
        }
        var body = await JsonBody.ReadAsync<RolloutActionRequest>(request, cancellationToken);
        return string.IsNullOrWhiteSpace(body.Reason) ? fallback : body.Reason;
    }
}
