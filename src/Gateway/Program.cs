using FleetQuant.Gateway.Hosting;

namespace FleetQuant.Gateway;

/// <summary>The Gateway as its own process: an Orleans client of the silo cluster, serving the broker, bridge and API.</summary>
public static class GatewayProgram
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddFleetQuantOrleansClient();
        builder.AddFleetQuantGateway();
        var app = builder.Build();
        app.MapFleetQuantGateway();
        app.Run();
    }
}
