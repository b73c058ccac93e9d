using System.CommandLine;
using FleetQuant.DeviceAgent.Commands;

var root = new RootCommand("FleetQuant device agent: receives signed model updates over MQTT, applies them safely, reports telemetry.");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(SimulateCommand.Create());
return await root.Parse(args).InvokeAsync();
