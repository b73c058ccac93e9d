using FleetQuant.Grains.Catalog;
using FleetQuant.Grains.Rollouts;
using FleetQuant.Protocol.Topics;
using Contract = FleetQuant.Api.Contracts;

namespace FleetQuant.Gateway.Api;

/// <summary><c>/api/rollouts</c>: create (and start), list, show, pause, resume, abort, roll back.</summary>
public static class RolloutEndpoints
{
    /// <summary>Rollouts per page by default, and at most: each one listed is a grain call.</summary>
    public const int DefaultTake = 50;
    public const int MaxTake = 200;

    public static RouteGroupBuilder MapRolloutEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/rollouts", CreateAsync).WithSummary("Create and start a rollout.");
        api.MapGet("/rollouts", ListAsync).WithSummary($"Rollouts with their progress, newest first: take (1..{MaxTake}, default {DefaultTake}), after (the previous page's next).");
        api.MapGet("/rollouts/{rolloutId}", async (string rolloutId, IGrainFactory grains) => (await (await ExistingAsync(grains, rolloutId)).GetView()).ToContract());
        api.MapPost("/rollouts/{rolloutId}/pause", async (string rolloutId, HttpRequest request, IGrainFactory grains, CancellationToken ct) =>
            (await (await ExistingAsync(grains, rolloutId)).Pause(await ReasonAsync(request, "paused by an operator", ct))).ToContract());
        api.MapPost("/rollouts/{rolloutId}/resume", async (string rolloutId, IGrainFactory grains) => (await (await ExistingAsync(grains, rolloutId)).Resume()).ToContract());
        api.MapPost("/rollouts/{rolloutId}/abort", async (string rolloutId, HttpRequest request, IGrainFactory grains, CancellationToken ct) =>
            (await (await ExistingAsync(grains, rolloutId)).Abort(await ReasonAsync(request, "aborted by an operator", ct))).ToContract());
        api.MapPost("/rollouts/{rolloutId}/rollback", async (string rolloutId, HttpRequest request, IGrainFactory grains, CancellationToken ct) =>
            (await (await ExistingAsync(grains, rolloutId)).RollBack(await ReasonAsync(request, "rolled back by an operator", ct))).ToContract());
        return api;
    }

    private static async Task<Contract.RolloutView> CreateAsync(HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<Contract.CreateRolloutRequest>(request, cancellationToken);
        var id = body.RolloutId ?? $"ro-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        var grain = Rollout(grains, id);
        await grain.Create(body.ToSpec());
        await grains.GetGrain<IOperatorCatalogGrain>(OperatorCatalogs.Rollouts).Add(id);
        return (await grain.Start()).ToContract();
    }

    private static async Task<Contract.RolloutListResponse> ListAsync(HttpRequest request, IGrainFactory grains)
    {
        var take = DefaultTake;
        if (request.Query["take"].FirstOrDefault() is { Length: > 0 } takeText && (!int.TryParse(takeText, out take) || take is < 1 or > MaxTake))
        {
            throw ApiRequestException.BadRequest($"take must be 1..{MaxTake}");
        }
        var after = request.Query["after"].FirstOrDefault() is { Length: > 0 } cursor ? cursor : null;
        var ids = await grains.GetGrain<IOperatorCatalogGrain>(OperatorCatalogs.Rollouts).ListNewestFirst(after, take);
        var views = await Task.WhenAll(ids.Select(id => grains.GetGrain<IRolloutGrain>(id).GetView()));
        return new Contract.RolloutListResponse([.. views.Select(v => v.ToContract())], ids.Count == take ? ids[^1] : null);
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
        var body = await JsonBody.ReadAsync<Contract.RolloutActionRequest>(request, cancellationToken);
        return string.IsNullOrWhiteSpace(body.Reason) ? fallback : body.Reason;
    }
}
