using FleetQuant.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddFleetQuantSilo();

var app = builder.Build();
app.MapFleetQuantHealth();
app.Run();
