using System.CommandLine;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.DeviceAgent.Link;
using FleetQuant.DeviceAgent.Profiles;
using Microsoft.Extensions.Logging;

namespace FleetQuant.DeviceAgent.Commands;

/// <summary><c>run</c>: one real device agent until Ctrl+C.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var deviceId = new Option<string>("--device-id") { Description = "This device's id (as provisioned)", Required = true };
        var secret = new Option<string>("--secret") { Description = "This device's secret (as provisioned); or env FLEETQUANT_DEVICE_SECRET" };
        var broker = new Option<string>("--broker") { Description = "MQTT broker host:port", DefaultValueFactory = _ => "127.0.0.1:1883" };
        var serverKey = new Option<FileInfo>("--server-key") { Description = "PEM file with the server's manifest-signing public key", Required = true };
        var stateDir = new Option<DirectoryInfo>("--state-dir") { Description = "Where models and agent state live", Required = true };
        var samples = new Option<string?>("--samples") { Description = "IDX eval set the model runs on for telemetry (default: the bundled Fashion-MNIST subset, else generated inputs)" };
        var hardwareClass = new Option<string?>("--hardware-class") { Description = "Override the detected hardware class" };
        var budget = new Option<long?>("--memory-budget") { Description = "Model memory budget in bytes (default: a quarter of RAM)" };
        var bandwidth = new Option<long?>("--bandwidth") { Description = "Downlink bits/s until one is measured" };
        var telemetry = new Option<int>("--telemetry-interval") { Description = "Seconds between telemetry messages", DefaultValueFactory = _ => 30 };

        var command = new Command("run", "Run this device's agent") { deviceId, secret, broker, serverKey, stateDir, samples, hardwareClass, budget, bandwidth, telemetry };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (host, port) = ParseBroker(parse.GetValue(broker)!);
            var options = new AgentOptions
            {
                Link = new LinkOptions
                {
                    Host = host,
                    Port = port,
                    DeviceId = parse.GetValue(deviceId)!,
                    Secret = parse.GetValue(secret) ?? Environment.GetEnvironmentVariable("FLEETQUANT_DEVICE_SECRET")
                        ?? throw new ArgumentException("give --secret or set FLEETQUANT_DEVICE_SECRET"),
                },
                ServerPublicKeyPem = File.ReadAllText(parse.GetValue(serverKey)!.FullName),
                StateDirectory = parse.GetValue(stateDir)!.FullName,
                Profile = new ProfileOverrides
                {
                    HardwareClass = parse.GetValue(hardwareClass),
                    ModelMemoryBudgetBytes = parse.GetValue(budget),
                    BandwidthBitsPerSecond = parse.GetValue(bandwidth),
                },
                TelemetryInterval = TimeSpan.FromSeconds(parse.GetValue(telemetry)),
            };

            using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
            await using var runtime = new DeviceRuntime(options, LoadSamples(parse.GetValue(samples)), logging.CreateLogger("agent"));
            await runtime.StartAsync(cancellationToken);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
            return 0;
        });
        return command;
    }

    /// <summary>The telemetry input stream: an eval set when one is available, else deterministic generated inputs.</summary>
    public static EvalSet LoadSamples(string? path)
    {
        if (path is not null)
        {
            return EvalSetFile.Load(path, [784]);
        }
        try
        {
            return EvalSetFile.Load(SampleData.FindCommittedEvalSet(), [784]);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or InvalidDataException)
        {
            return GeneratedInputs.Create([784], 64, seed: 1);
        }
    }

    public static (string Host, int Port) ParseBroker(string value)
    {
        var parts = value.Split(':');
        return parts.Length == 2 && int.TryParse(parts[1], out var port) && port is > 0 and < 65536
            ? (parts[0], port)
            : throw new ArgumentException($"broker must be host:port, got '{value}'");
    }
}
