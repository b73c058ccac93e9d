using System.CommandLine;
using FleetQuant.Cli;
using FleetQuant.Cli.Commands;

var root = new RootCommand("FleetQuant: compress ONNX models per device and roll them out to IoT fleets.");
foreach (var command in CommandCatalog.All())
{
    root.Subcommands.Add(command);
}

return await CliRunner.InvokeAsync(root, args);
