using System.CommandLine;
using FleetQuant.Api.Contracts;
using FleetQuant.Cli.Commands;
using FleetQuant.Cli.Operator;
using FleetQuant.Cli.Output;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace FleetQuant.Demo;

/// <summary>
/// <c>dotnet run --project src/Demo -- [--devices N] [--json] [--keep-running]</c>: the all-in-one server, embedded broker and N simulated
/// devices in this process; v1 rolled out in waves, then v2 as deltas; ends with what was sent against FP32.
/// </summary>
public static class DemoCommand
{
    public static RootCommand Create()
    {
        var devices = new Option<int>("--devices") { Description = "Simulated devices (mixed classes from the fleet mix)", DefaultValueFactory = _ => 1000 };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON: {devices, updated, failed, bytesSent, bytesBaseline, savedRatio, rollouts}" };
        var keepRunning = new Option<bool>("--keep-running") { Description = "Stay up afterwards (server, broker, devices) for the CLI, Prometheus and Grafana; Ctrl+C stops" };
        var profiles = new Option<string?>("--profiles") { Description = "Fleet mix file (default samples/profiles/fleet-mix.json)" };
        var port = new Option<int>("--port") { Description = "HTTP port of the REST API and /metrics on 127.0.0.1 (default: a free port)" };
        var token = new Option<string?>("--token") { Description = "Operator token to configure (default: generated, printed with --keep-running)" };
        var waves = new Option<string[]>("--wave") { Description = "Wave sizes, each N devices or P% of the fleet (repeatable; default 10% 30% 60%)" };
        var maxSeconds = new Option<double?>("--max-seconds") { Description = "Planner policy: longest download per device, seconds (default 600)" };
        var mixed = new Option<bool>("--mixed-precision") { Description = "Also offer the mixed-precision recipe on the ladder (slower ladder; larger deltas)" };
        var command = new RootCommand("FleetQuant demo: run a simulated fleet through two rollouts in one process and show the bandwidth saved")
        {
            devices, json, keepRunning, profiles, port, token, waves, maxSeconds, mixed,
        };
        devices.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > DemoOptions.MaxDevices)
            {
                r.AddError($"--devices must be 1..{DemoOptions.MaxDevices}");
            }
        });
        port.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 65535)
            {
                r.AddError("--port must be 0..65535");
            }
        });
        command.Validators.Add(result =>
        {
            if ((result.GetValue(waves) ?? []).Any(w => RolloutsCommand.ParseWave(w) is null))
            {
                result.AddError("--wave must be a device count (e.g. 50) or a percentage (e.g. 10%)");
            }
            if (result.GetValue(token) is { Length: < 16 })
            {
                result.AddError("--token must be at least 16 characters");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var options = new DemoOptions
            {
                Devices = parse.GetValue(devices),
                ProfilesPath = parse.GetValue(profiles),
                Policy = new PlanPolicyInfo(MaxTransferSeconds: parse.GetValue(maxSeconds) ?? new PlanPolicyInfo().MaxTransferSeconds),
                LadderMixedPrecision = parse.GetValue(mixed),
            };
            if (parse.GetValue(waves) is { Length: > 0 } waveTexts)
            {
                options = options with { Waves = [.. waveTexts.Select(w => RolloutsCommand.ParseWave(w)!)] };
            }
            using var logging = LoggerFactory.Create(builder => builder
                .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
                .AddFilter(level => level >= LogLevel.Error));
            AllInOneServer? server = null;
            DemoReport? report = null;
            FleetQuant.DeviceAgent.Simulation.FleetSimulator? fleet = null;
            try
            {
                await Consoles.Progress.Progress().AutoClear(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .StartAsync(async context =>
                    {
                        var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                        var progress = new SyncProgress<DemoStep>(step =>
                        {
                            lock (tasks)
                            {
                                if (!tasks.TryGetValue(step.Key, out var task))
                                {
                                    task = tasks[step.Key] = context.AddTask(Markup.Escape(step.Description), maxValue: Math.Max(1, step.Max));
                                }
                                task.Description = Markup.Escape(step.Description);
                                task.MaxValue = Math.Max(1, step.Max);
                                task.Value = step.Value;
                            }
                        });
                        progress.Report(new DemoStep("server", "start silo, broker, Gateway", 0, 1));
                        server = await AllInOneServer.StartAsync(new AllInOneServerOptions
                        {
                            HttpPort = parse.GetValue(port),
                            Token = parse.GetValue(token),
                            LadderRecipes = options.LadderRecipes,
                            LadderMixedPrecision = options.LadderMixedPrecision,
                        }, ct);
                        progress.Report(new DemoStep("server", $"server up at {server.Url}", 1, 1));
                        (report, fleet) = await new DemoRunner(server, options, progress, logging).RunAsync(ct);
                    });
                if (parse.GetValue(keepRunning))
                {
                    report = report! with { Server = new DemoEndpoints(server!.Url.ToString(), server.Token, server.MqttHost, server.MqttPort) };
                }
                if (parse.GetValue(json))
                {
                    Console.Out.WriteLine(ApiJson.Serialize(report));
                }
                else
                {
                    DemoTables.Print(report!);
                }
                if (parse.GetValue(keepRunning))
                {
                    await KeepRunningAsync(server!, ct);
                }
                return 0;
            }
            finally
            {
                if (fleet is not null)
                {
                    await fleet.DisposeAsync();
                }
                if (server is not null)
                {
                    await server.DisposeAsync();
                }
            }
        });
        return command;
    }

    private static async Task KeepRunningAsync(AllInOneServer server, CancellationToken cancellationToken)
    {
        var error = Console.Error;
        await error.WriteLineAsync($"""

            FleetQuant keeps running (Ctrl+C stops it and deletes {server.DataDirectory}):
              REST API + /metrics  {server.Url}
              MQTT broker          {server.MqttHost}:{server.MqttPort}
              operator token       {server.Token}
            Point the CLI at it:
              export {OperatorSettings.ServerVariable}={server.Url.ToString().TrimEnd('/')} {OperatorSettings.TokenVariable}={server.Token}
              fleetquant devices list --state UpToDate
            """);
        try
        {
            await server.WaitForShutdownAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C is how a kept-running demo ends.
        }
    }
}
