using System.Collections.Concurrent;
using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;

namespace FleetQuant.Grains.Tests;

/// <summary>A silo whose log is recorded, at every level the filters let through.</summary>
public sealed class LogCaptureFixture : FleetClusterFixture
{
    public LogCapture Log { get; } = new();

    protected override void ConfigureSilo(ISiloBuilder silo)
    {
        silo.Services.AddSingleton<ILoggerProvider>(Log);
        // Information from everything, as a production host logs by default.
        silo.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Information));
    }
}

public sealed class GrainCallLoggingTests(LogCaptureFixture fleet) : IClassFixture<LogCaptureFixture>
{
    [Fact]
    public async Task GrainCalls_DoNotLogResiliencePipelineExecutionsAtInformation()
    {
        for (var i = 0; i < 5; i++)
        {
            await fleet.ProvisionAsync($"quiet-{i}");
            await fleet.Device($"quiet-{i}").GetView();
        }

        Assert.Contains(fleet.Log.Entries, e => e.Level >= LogLevel.Information); // the capture sees the silo's log
        Assert.DoesNotContain(fleet.Log.Entries, e => e.Level >= LogLevel.Information && e.Category == "Polly");
    }
}

/// <summary>Keeps every log entry that reaches it.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _entries = new();

    public IReadOnlyCollection<(string Category, LogLevel Level, string Message)> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((category, logLevel, formatter(state, exception)));
    }
}
