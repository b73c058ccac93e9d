using FleetQuant.Gateway.Broker;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Grains.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FleetQuant.Gateway.Tests;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTime : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}

/// <summary>Keeps the Warning lines a component logs.</summary>
internal sealed class WarningLines<T> : ILogger<T>
{
    public List<string> Lines { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel == LogLevel.Warning)
        {
            Lines.Add(formatter(state, exception));
        }
    }
}

public sealed class DeviceRateLimiterTests
{
    [Fact]
    public void TryAcquire_AllowsTheBurst_ThenTheSustainedRate_PerDevice()
    {
        var time = new ManualTime();
        var limiter = new DeviceRateLimiter(Options.Create(new MqttOptions { DeviceMessagesPerSecond = 2, DeviceMessageBurst = 5 }), time);

        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => limiter.TryAcquire("dev-1")));
        Assert.True(limiter.TryAcquire("dev-2"), "another device has its own bucket");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, Enumerable.Range(0, 20).Count(_ => limiter.TryAcquire("dev-1")));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => limiter.TryAcquire("dev-1")));
    }

    [Fact]
    public void RefusalLog_WarnsOncePerDevicePerMinute_AndStaysBounded()
    {
        var time = new ManualTime();
        var logger = new WarningLines<RefusalLog>();
        var log = new RefusalLog(logger, time);

        for (var i = 0; i < 100; i++)
        {
            log.Refused(RejectionReason.RateLimited, "dev-1", "publish");
        }
        Assert.Single(logger.Lines);
        Assert.Contains("dev-1", logger.Lines[0]);
        time.Advance(TimeSpan.FromSeconds(61));
        log.Refused(RejectionReason.Acl, "dev-1", "publish");
        Assert.Equal(2, logger.Lines.Count);

        // A flood of distinct (made-up) ids within one minute: logging stops at the cap instead of remembering them all.
        for (var i = 0; i < RefusalLog.MaxTrackedDevices + 500; i++)
        {
            log.Refused(RejectionReason.Auth, $"ghost-{i}", "connection");
        }
        Assert.Equal(RefusalLog.MaxTrackedDevices + 1, logger.Lines.Count);
        time.Advance(TimeSpan.FromSeconds(61));
        log.Refused(RejectionReason.Auth, "ghost-late", "connection");
        Assert.Contains("ghost-late", logger.Lines[^1]);
    }
}
