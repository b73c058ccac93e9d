using FleetQuant.Gateway.Hosting;
using FleetQuant.Silo.Admin;
using FleetQuant.Silo.Hosting;

if (args is [ManifestKeyCommand.Verb, ..])
{
    return ManifestKeyCommand.Run(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddFleetQuantSilo();
builder.AddFleetQuantGateway();

var app = builder.Build();
app.MapFleetQuantHealth();
app.MapFleetQuantGateway();
app.Run();
return 0;
