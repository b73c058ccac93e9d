using FleetQuant.Gateway.Hosting;
using FleetQuant.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddFleetQuantSilo();
builder.AddFleetQuantGateway();

var app = builder.Build();
app.MapFleetQuantHealth();
app.MapFleetQuantGateway();
app.Run();
