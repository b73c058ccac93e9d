using System.CommandLine;
using System.Globalization;
using FleetQuant.Api.Contracts;
using FleetQuant.Cli.Operator;

namespace FleetQuant.Cli.Commands;

/// <summary><c>fleetquant devices list|show</c>: list the fleet with filters (tag, class, state, recipe) and show one device.</summary>
public static class DevicesCommand
{
    private const int MaxPage = 1000;

    public static Command Create()
    {
        var shared = new OperatorOptions();
        return new Command("devices", "List and inspect devices (operator API)") { List(shared), Show(shared) };
    }

    private static Command List(OperatorOptions shared)
    {
        var tags = new Option<string[]>("--tag") { Description = "Only devices with tag key=value (repeatable; all must match)" };
        var classes = new Option<string[]>("--class") { Description = "Only this hardware class (repeatable; any may match)" };
        var state = new Option<DeviceState?>("--state") { Description = "Only devices in this state (Provisioned, UpToDate, Updating, Failed, Unfit)" };
        var recipe = new Option<string?>("--recipe") { Description = "Only devices running this recipe" };
        var take = new Option<int>("--take") { Description = $"Devices per page (1–{MaxPage})", DefaultValueFactory = _ => 100 };
        var after = new Option<string?>("--after") { Description = "Continue after this device id (the previous page's last)" };
        var all = new Option<bool>("--all") { Description = "Follow pages to the end of the fleet" };
        var command = shared.Verb("list", "List devices, filtered by tag, class, state and recipe");
        foreach (var option in new Option[] { tags, classes, state, recipe, take, after, all })
        {
            command.Options.Add(option);
        }
        take.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > MaxPage)
            {
                r.AddError($"--take must be 1..{MaxPage}");
            }
        });
        command.Validators.Add(result =>
        {
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
            using var client = shared.Connect(parse);
            var query = new List<string>();
            query.AddRange((parse.GetValue(tags) ?? []).Select(t => "tag=" + Uri.EscapeDataString(t)));
            query.AddRange((parse.GetValue(classes) ?? []).Select(c => "class=" + Uri.EscapeDataString(c)));
            if (parse.GetValue(state) is { } s)
            {
                query.Add("state=" + s);
            }
            if (parse.GetValue(recipe) is { Length: > 0 } r)
            {
                query.Add("recipe=" + Uri.EscapeDataString(r));
            }
            query.Add("take=" + parse.GetValue(take).ToString(CultureInfo.InvariantCulture));
            var devices = new List<DeviceSummary>();
            var cursor = parse.GetValue(after);
            int total;
            string json;
            while (true)
            {
                var page = cursor is null ? query : [.. query, "after=" + Uri.EscapeDataString(cursor)];
                json = await client.GetAsync("/api/devices?" + string.Join('&', page), ct);
                var answer = ApiJson.Read<DeviceListResponse>(json);
                devices.AddRange(answer.Devices);
                total = answer.Total;
                cursor = answer.Next;
                if (!parse.GetValue(all) || cursor is null)
                {
                    break;
                }
            }
            if (parse.GetValue(shared.Json))
            {
                Console.Out.WriteLine(parse.GetValue(all) ? ApiJson.Serialize(new DeviceListResponse(devices, total, null)) : ApiJson.Pretty(json));
                return 0;
            }
            OperatorTables.Devices(devices, total);
            if (cursor is not null)
            {
                Console.Error.WriteLine($"more devices: add --after {cursor} (or --all)");
            }
            return 0;
        });
        return command;
    }

    private static Command Show(OperatorOptions shared)
    {
        var id = new Argument<string>("device") { Description = "Device id" };
        var command = shared.Verb("show", "Show one device: profile, state, plan, desired model, telemetry, history");
        command.Arguments.Add(id);
        command.SetAction(async (parse, ct) =>
        {
            using var client = shared.Connect(parse);
            var json = await client.GetAsync($"/api/devices/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct);
            if (parse.GetValue(shared.Json))
            {
                Console.Out.WriteLine(ApiJson.Pretty(json));
                return 0;
            }
            OperatorTables.Device(ApiJson.Read<DeviceView>(json));
            return 0;
        });
        return command;
    }
}
