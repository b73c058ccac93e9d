using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using FleetQuant.DeviceAgent.Simulation;
using FleetQuant.DeviceAgent.Updates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace FleetQuant.DeviceAgent.Commands;

/// <summary><c>simulate</c>: N virtual devices of a fleet mix in one process, until Ctrl+C / SIGTERM or <c>--duration</c>.</summary>
public static class SimulateCommand
{
    public static Command Create()
    {
        var devices = new Option<int>("--devices") { Description = "How many devices to simulate", DefaultValueFactory = _ => 100 };
        var profiles = new Option<FileInfo>("--profiles") { Description = "Fleet mix JSON (weighted hardware-class profiles), e.g. samples/profiles/fleet-mix.json", Required = true };
        var server = new Option<string>("--server") { Description = "Gateway HTTP address, for provisioning", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var token = new Option<string?>("--token") { Description = "Operator bearer token; or env FLEETQUANT_TOKEN" };
        var stateRoot = new Option<DirectoryInfo?>("--state-root") { Description = "Keep each device's state in DIR/<device id> (survives the process)" };
        var inMemory = new Option<bool>("--in-memory") { Description = "Keep device state in RAM (a tmpfs directory removed at exit); the default without --state-root" };
        var prefix = new Option<string>("--id-prefix") { Description = "Device ids are <prefix>-<class>-<n>", DefaultValueFactory = _ => "sim" };
        var dropAfter = new Option<long?>("--drop-after-bytes") { Description = "Fault: drop the MQTT connection once after this many downloaded bytes" };
        var corrupt = new Option<int?>("--corrupt-chunk") { Description = "Fault: flip a bit in the K-th chunk received (1-based), once" };
        var powerCut = new Option<bool>("--power-cut") { Description = "Fault: cut the power after the new model is written, before it is activated (the device reboots)" };
        var faultShare = new Option<double>("--fault-share") { Description = "Share of each class that injects the faults", DefaultValueFactory = _ => 0.1 };
        var duration = new Option<double?>("--duration") { Description = "Stop after S seconds (default: until Ctrl+C or SIGTERM)" };
        var inference = new Option<double>("--inference-interval") { Description = "Seconds between inferences per device", DefaultValueFactory = _ => 10 };
        var telemetry = new Option<double>("--telemetry-interval") { Description = "Seconds between telemetry messages per device", DefaultValueFactory = _ => 60 };
        var noThrottle = new Option<bool>("--no-throttle") { Description = "Download at loopback speed instead of each profile's bandwidth" };
        var samples = new Option<string?>("--samples") { Description = "IDX eval set the devices run for telemetry (default: the bundled subset, else generated inputs)" };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON" };
        var statusFile = new Option<FileInfo?>("--status-file") { Description = "Rewrite the summary JSON to this file every 2 s while running (for scripts)" };
        var verbose = new Option<bool>("--verbose") { Description = "Log every device's updates" };

        var command = new Command("simulate", "Run a simulated fleet: N device agents of a fleet mix in one process")
        {
            devices, profiles, server, token, stateRoot, inMemory, prefix, dropAfter, corrupt, powerCut, faultShare, duration,
            inference, telemetry, noThrottle, samples, json, verbose, statusFile,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(stateRoot) is not null && result.GetValue(inMemory))
            {
                result.AddError("give either --state-root or --in-memory, not both");
            }
        });
        foreach (var seconds in new[] { inference, telemetry })
        {
            seconds.Validators.Add(result =>
            {
                if (!(result.GetValueOrDefault<double>() > 0))
                {
                    result.AddError($"{seconds.Name} must be a positive number of seconds");
                }
            });
        }
        server.Validators.Add(result =>
        {
            if (!Uri.TryCreate(result.GetValueOrDefault<string>(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                result.AddError("--server must be an absolute http(s) address, e.g. http://127.0.0.1:5080");
            }
        });
        duration.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is not > 0)
            {
                result.AddError("--duration must be a positive number of seconds");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new SimulatorOptions
            {
                Devices = parse.GetValue(devices),
                ProfilesPath = parse.GetValue(profiles)!.FullName,
                Server = new Uri(parse.GetValue(server)!),
                Token = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("FLEETQUANT_TOKEN")
                    ?? throw new ArgumentException("give --token or set FLEETQUANT_TOKEN"),
                StateRoot = parse.GetValue(stateRoot)?.FullName,
                IdPrefix = parse.GetValue(prefix)!,
                Faults = new FaultPlan
                {
                    DropConnectionAfterBytes = parse.GetValue(dropAfter),
                    CorruptChunkNumber = parse.GetValue(corrupt),
                    PowerCutAt = parse.GetValue(powerCut) ? UpdateCheckpoint.Staged : null,
                },
                FaultShare = parse.GetValue(faultShare),
                InferenceInterval = TimeSpan.FromSeconds(parse.GetValue(inference)),
                TelemetryInterval = TimeSpan.FromSeconds(parse.GetValue(telemetry)),
                Throttle = !parse.GetValue(noThrottle),
            };

            // Logs go to stderr so stdout carries only the summary (scripts parse --json from it).
            using var logging = LoggerFactory.Create(b =>
            {
                b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
                b.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            });
            // SIGTERM (what `kill` and container runtimes send) stops the fleet as cleanly as Ctrl+C.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });

            var watch = Stopwatch.StartNew();
            await using var simulator = new FleetSimulator(options, RunCommand.LoadSamples(parse.GetValue(samples)), logging);
            try
            {
                await simulator.StartAsync((done, total) =>
                {
                    if (done % 100 == 0 || done == total)
                    {
                        Console.Error.WriteLine($"started {done}/{total} devices");
                    }
                }, stop.Token);
                Console.Error.WriteLine($"ready: {simulator.Devices.Count} devices connected in {watch.Elapsed.TotalSeconds:0.0} s");
                if (parse.GetValue(duration) is { } seconds)
                {
                    stop.CancelAfter(TimeSpan.FromSeconds(seconds));
                }
                await (parse.GetValue(statusFile) is { } file
                    ? WriteStatusAsync(simulator, file.FullName, stop.Token)
                    : Task.Delay(Timeout.Infinite, stop.Token));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception ex) when (ex is SimulatorException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }

            var summary = simulator.Summarize();
            Console.Out.Write(parse.GetValue(json) ? summary.ToJson() + Environment.NewLine : summary.ToText());
            return summary.UpdatesFailed == 0 ? 0 : 2;
        });
        return command;
    }

    /// <summary>Replaces the status file (write to a temp name, then rename) so a reader never sees half a document.</summary>
    private static async Task WriteStatusAsync(FleetSimulator simulator, string path, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        do
        {
            await File.WriteAllTextAsync(path + ".tmp", simulator.Summarize().ToJson(), CancellationToken.None);
            File.Move(path + ".tmp", path, overwrite: true);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }
}
