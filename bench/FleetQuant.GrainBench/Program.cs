using FleetQuant.GrainBench;
using FleetQuant.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Usage: dotnet run -c Release --project bench/FleetQuant.GrainBench -- [devices=100000] [telemetryCalls=200000] [concurrency=512]
var devices = args.Length > 0 ? int.Parse(args[0]) : 100_000;
var telemetryCalls = args.Length > 1 ? int.Parse(args[1]) : 200_000;
var concurrency = args.Length > 2 ? int.Parse(args[2]) : 512;
var dataDir = Path.Combine(Path.GetTempPath(), "fq-grainbench-" + Guid.NewGuid().ToString("N"));

var builder = Host.CreateApplicationBuilder();
// Shutdown deactivations log storage warnings for the in-memory provider; only errors matter here.
builder.Logging.SetMinimumLevel(LogLevel.Error);
builder.Configuration["FleetQuant:Artifacts:Path"] = dataDir;
builder.Configuration["FleetQuant:Compression:LadderRecipes:0"] = "fp32";
builder.Configuration["FleetQuant:Compression:LadderRecipes:1"] = "q8cs";
builder.Configuration["FleetQuant:Compression:LadderRecipes:2"] = "q4b32a";
builder.Configuration["FleetQuant:Compression:LadderMixedPrecision"] = "false";
builder.UseOrleans(silo =>
{
    silo.UseLocalhostClustering();
    foreach (var name in StorageNames.All)
    {
        silo.AddMemoryGrainStorage(name);
    }
    silo.UseInMemoryReminderService();
    silo.AddFleetQuantGrains();
});

using var host = builder.Build();
await host.StartAsync();
try
{
    Console.WriteLine($"one silo, {Environment.ProcessorCount} cores, memory grain storage; {devices} devices, {telemetryCalls} telemetry calls, {concurrency} in flight");
    await new GrainBench(host.Services.GetRequiredService<IGrainFactory>(), devices, telemetryCalls, concurrency).RunAsync();
}
finally
{
    await host.StopAsync();
    Directory.Delete(dataDir, recursive: true);
}
