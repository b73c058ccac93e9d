using System.CommandLine;
using System.Globalization;
using FleetQuant.Api.Contracts;
using FleetQuant.Cli.Operator;

namespace FleetQuant.Cli.Commands;

/// <summary>
/// <c>fleetquant rollouts create|list|status|pause|resume|abort|rollback</c>: drive rollouts through the operator
/// API; <c>status --watch</c> (and <c>create --watch</c>) show a live progress bar until the rollout finishes.
/// </summary>
public static class RolloutsCommand
{
    /// <summary>The server's largest page: each rollout listed is a grain call.</summary>
    private const int MaxPage = 200;

    public static Command Create()
    {
        var shared = new OperatorOptions();
        return new Command("rollouts", "Create, watch and steer rollouts (operator API)")
        {
            CreateVerb(shared), List(shared), Status(shared),
            Action(shared, "pause", "Pause a running rollout (no new devices are dispatched)", withReason: true),
            Action(shared, "resume", "Resume a paused rollout", withReason: false),
            Action(shared, "abort", "Abort a rollout (devices keep what they installed)", withReason: true),
            Action(shared, "rollback", "Roll the rollout's devices back to what they ran before", withReason: true),
        };
    }

    private static Command CreateVerb(OperatorOptions shared)
    {
        var model = new Option<string>("--model") { Description = "Model id", Required = true };
        var version = new Option<string>("--version") { Description = "Model version to roll out", Required = true };
        var id = new Option<string?>("--id") { Description = "Rollout id (default: generated)" };
        var tags = new Option<string[]>("--tag") { Description = "Target devices with tag key=value (repeatable; all must match)" };
        var classes = new Option<string[]>("--class") { Description = "Target hardware class (repeatable; any may match)" };
        var devices = new Option<string[]>("--device") { Description = "Target a device id (repeatable)" };
        var waves = new Option<string[]>("--wave") { Description = "A wave: N devices or P% of the targets (repeatable, in order; default one 100% wave)" };
        var success = new Option<double>("--success-threshold") { Description = "Share of a wave that must succeed before the next", DefaultValueFactory = _ => 0.9 };
        var failure = new Option<double>("--failure-threshold") { Description = "Share of a wave failing that triggers --on-failure", DefaultValueFactory = _ => 0.2 };
        var onFailure = new Option<FailureAction>("--on-failure") { Description = "Pause or Abort when a wave fails", DefaultValueFactory = _ => FailureAction.Pause };
        var soak = new Option<double?>("--soak") { Description = "Health gate: seconds a wave soaks before the next starts" };
        var latency = new Option<double?>("--max-latency-regression") { Description = "Health gate: allowed latency regression (0.2 = +20 %)" };
        var confidence = new Option<double?>("--max-confidence-drop") { Description = "Health gate: allowed drop of mean top-1 confidence" };
        var bandwidth = new Option<long?>("--bandwidth") { Description = "Bandwidth budget of the rollout, bytes per minute" };
        var maxDrop = new Option<double?>("--max-drop") { Description = "Planner: largest accuracy drop allowed (0.02 = 2 pt)" };
        var maxSeconds = new Option<double?>("--max-seconds") { Description = "Planner: longest transfer allowed per device, seconds" };
        var minAccuracy = new Option<double?>("--min-accuracy") { Description = "Planner: lowest accuracy allowed" };
        var watch = new Option<bool>("--watch") { Description = "Show a live progress bar until the rollout finishes" };
        var command = shared.Verb("create", "Create and start a rollout of a model version");
        foreach (var option in new Option[] { model, version, id, tags, classes, devices, waves, success, failure, onFailure, soak, latency, confidence, bandwidth, maxDrop, maxSeconds, minAccuracy, watch })
        {
            command.Options.Add(option);
        }
        foreach (var share in new[] { success, failure })
        {
            share.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<double>() is < 0 or > 1)
                {
                    r.AddError($"{r.Option.Name} is a share between 0 and 1");
                }
            });
        }
        command.Validators.Add(result =>
        {
            foreach (var wave in result.GetValue(waves) ?? [])
            {
                if (ParseWave(wave) is null)
                {
                    result.AddError($"--wave '{wave}' must be a device count (e.g. 50) or a percentage (e.g. 10%)");
                }
            }
            foreach (var tag in result.GetValue(tags) ?? [])
            {
                if (tag.IndexOf('=') <= 0)
                {
                    result.AddError($"--tag '{tag}' must be key=value");
                }
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var defaults = new PlanPolicyInfo();
            var health = parse.GetValue(soak) is null && parse.GetValue(latency) is null && parse.GetValue(confidence) is null
                ? null
                : new HealthGate(TimeSpan.FromSeconds(parse.GetValue(soak) ?? 0), parse.GetValue(latency), parse.GetValue(confidence));
            var request = new CreateRolloutRequest
            {
                RolloutId = parse.GetValue(id),
                ModelId = parse.GetValue(model)!,
                Version = parse.GetValue(version)!,
                Tags = (parse.GetValue(tags) ?? []).Select(t => t.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal),
                HardwareClasses = [.. parse.GetValue(classes) ?? []],
                DeviceIds = [.. parse.GetValue(devices) ?? []],
                Waves = [.. (parse.GetValue(waves) ?? []).Select(w => ParseWave(w)!)],
                SuccessThreshold = parse.GetValue(success),
                FailureThreshold = parse.GetValue(failure),
                OnFailure = parse.GetValue(onFailure),
                Health = health,
                BandwidthBytesPerMinute = parse.GetValue(bandwidth),
                Policy = new PlanPolicyInfo(parse.GetValue(maxSeconds) ?? defaults.MaxTransferSeconds, parse.GetValue(maxDrop) ?? defaults.MaxAccuracyDrop,
                    parse.GetValue(minAccuracy) ?? defaults.MinAccuracy),
            };
            using var client = shared.Connect(parse);
            var json = await client.PostJsonAsync("/api/rollouts", request, ct);
            var view = ApiJson.Read<RolloutView>(json);
            return parse.GetValue(watch)
                ? await FinishWatchAsync(client, view.RolloutId, TimeSpan.FromSeconds(1), parse.GetValue(shared.Json), ct)
                : Print(json, view, parse.GetValue(shared.Json));
        });
        return command;
    }

    private static Command List(OperatorOptions shared)
    {
        var take = new Option<int>("--take") { Description = $"Rollouts per page (1–{MaxPage})", DefaultValueFactory = _ => 50 };
        var after = new Option<string?>("--after") { Description = "Continue after this rollout id (the previous page's last)" };
        var all = new Option<bool>("--all") { Description = "Follow pages to the oldest rollout" };
        var command = shared.Verb("list", "List rollouts with their progress, newest first");
        command.Options.Add(take);
        command.Options.Add(after);
        command.Options.Add(all);
        take.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > MaxPage)
            {
                r.AddError($"--take must be 1..{MaxPage}");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            using var client = shared.Connect(parse);
            var rollouts = new List<RolloutView>();
            var cursor = parse.GetValue(after);
            string json;
            while (true)
            {
                var query = "take=" + parse.GetValue(take).ToString(CultureInfo.InvariantCulture) + (cursor is null ? "" : "&after=" + Uri.EscapeDataString(cursor));
                json = await client.GetAsync("/api/rollouts?" + query, ct);
                var page = ApiJson.Read<RolloutListResponse>(json);
                rollouts.AddRange(page.Rollouts);
                cursor = page.Next;
                if (!parse.GetValue(all) || cursor is null)
                {
                    break;
                }
            }
            if (parse.GetValue(shared.Json))
            {
                Console.Out.WriteLine(parse.GetValue(all) ? ApiJson.Serialize(new RolloutListResponse(rollouts, null)) : ApiJson.Pretty(json));
                return 0;
            }
            OperatorTables.Rollouts(rollouts);
            if (cursor is not null)
            {
                Console.Error.WriteLine($"more rollouts: add --after {cursor} (or --all)");
            }
            return 0;
        });
        return command;
    }

    private static Command Status(OperatorOptions shared)
    {
        var id = new Argument<string>("rollout") { Description = "Rollout id" };
        var watch = new Option<bool>("--watch") { Description = "Show a live progress bar until the rollout finishes (exit 1 unless it completes)" };
        var interval = new Option<double>("--interval") { Description = "Seconds between polls with --watch", DefaultValueFactory = _ => 1 };
        var command = shared.Verb("status", "Show a rollout's state and progress");
        command.Arguments.Add(id);
        command.Options.Add(watch);
        command.Options.Add(interval);
        interval.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is < 0.1 or > 3600)
            {
                r.AddError("--interval must be between 0.1 and 3600 seconds");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            using var client = shared.Connect(parse);
            var rolloutId = parse.GetValue(id)!;
            if (parse.GetValue(watch))
            {
                return await FinishWatchAsync(client, rolloutId, TimeSpan.FromSeconds(parse.GetValue(interval)), parse.GetValue(shared.Json), ct);
            }
            var json = await client.GetAsync($"/api/rollouts/{Uri.EscapeDataString(rolloutId)}", ct);
            return Print(json, ApiJson.Read<RolloutView>(json), parse.GetValue(shared.Json));
        });
        return command;
    }

    private static Command Action(OperatorOptions shared, string verb, string description, bool withReason)
    {
        var id = new Argument<string>("rollout") { Description = "Rollout id" };
        var reason = new Option<string?>("--reason") { Description = "Why (recorded on the rollout)" };
        var command = shared.Verb(verb, description);
        command.Arguments.Add(id);
        if (withReason)
        {
            command.Options.Add(reason);
        }
        command.SetAction(async (parse, ct) =>
        {
            using var client = shared.Connect(parse);
            var path = $"/api/rollouts/{Uri.EscapeDataString(parse.GetValue(id)!)}/{verb}";
            var json = await client.PostJsonAsync(path, new RolloutActionRequest { Reason = withReason ? parse.GetValue(reason) : null }, ct);
            return Print(json, ApiJson.Read<RolloutView>(json), parse.GetValue(shared.Json));
        });
        return command;
    }

    private static async Task<int> FinishWatchAsync(OperatorClient client, string rolloutId, TimeSpan interval, bool json, CancellationToken ct)
    {
        var final = await RolloutWatcher.WatchAsync(client, rolloutId, interval, ct);
        Print(ApiJson.Serialize(final), final, json);
        return final.State == RolloutState.Completed
            ? 0
            : throw new OperatorApiException($"rollout {rolloutId} ended {final.State.ToString().ToLowerInvariant()}: {final.Reason ?? "no reason given"}");
    }

    private static int Print(string json, RolloutView view, bool asJson)
    {
        if (asJson)
        {
            Console.Out.WriteLine(ApiJson.Pretty(json));
        }
        else
        {
            OperatorTables.Rollout(view);
        }
        return 0;
    }

    /// <summary>"50" is 50 devices, "10%" is ten percent of the targets; null when it is neither.</summary>
    public static WaveSpec? ParseWave(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.EndsWith('%'))
        {
            return double.TryParse(trimmed[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent is > 0 and <= 100
                ? WaveSpec.PercentOf(percent)
                : null;
        }
        return int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 ? WaveSpec.Devices(count) : null;
    }
}
