using FleetQuant.Cli;
using FleetQuant.Demo;

return await CliRunner.InvokeAsync(DemoCommand.Create(), args);
