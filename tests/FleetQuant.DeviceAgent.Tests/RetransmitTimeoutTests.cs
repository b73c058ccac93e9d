using FleetQuant.DeviceAgent.Transfer;

namespace FleetQuant.DeviceAgent.Tests;

public sealed class RetransmitTimeoutTests
{
    private static readonly TimeSpan Floor = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Ceiling = TimeSpan.FromMinutes(1);

    [Fact]
    public void BeforeAnyRoundTrip_WaitsTheFloor()
    {
        Assert.Equal(Floor, new RetransmitTimeout(Floor, Ceiling).Current);
    }

    [Fact]
    public void LoadedServer_AnsweringIn8Seconds_RaisesTheTimeoutAboveItsAnswerTime()
    {
        var timeout = new RetransmitTimeout(Floor, Ceiling);
        for (var i = 0; i < 20; i++)
        {
            timeout.Observe(TimeSpan.FromSeconds(i % 2 == 0 ? 7 : 9));
        }

        // Every answer in 7–9 s now arrives before the device would ask again.
        Assert.InRange(timeout.Current, TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void QuickServer_AfterASlowSpell_BringsTheTimeoutBackToTheFloor()
    {
        var timeout = new RetransmitTimeout(Floor, Ceiling);
        timeout.Observe(TimeSpan.FromSeconds(12));
        Assert.True(timeout.Current > TimeSpan.FromSeconds(12));
        for (var i = 0; i < 30; i++)
        {
            timeout.Observe(TimeSpan.FromMilliseconds(50));
        }

        Assert.Equal(Floor, timeout.Current);
    }

    [Fact]
    public void SlowdownAfterQuickAnswers_IsFollowedWithinAFewRoundTrips()
    {
        var timeout = new RetransmitTimeout(Floor, Ceiling);
        for (var i = 0; i < 30; i++)
        {
            timeout.Observe(TimeSpan.FromMilliseconds(100));
        }
        for (var i = 0; i < 3; i++)
        {
            timeout.Observe(TimeSpan.FromSeconds(6));
        }

        Assert.True(timeout.Current > TimeSpan.FromSeconds(6), $"timeout {timeout.Current}");
    }

    [Fact]
    public void Retries_DoubleTheWait_UpToTheCeiling()
    {
        var timeout = new RetransmitTimeout(Floor, Ceiling);

        Assert.Equal(TimeSpan.FromSeconds(5), timeout.ForAttempt(1));
        Assert.Equal(TimeSpan.FromSeconds(10), timeout.ForAttempt(2));
        Assert.Equal(TimeSpan.FromSeconds(40), timeout.ForAttempt(4));
        Assert.Equal(Ceiling, timeout.ForAttempt(5));
        Assert.Equal(Ceiling, timeout.ForAttempt(40));
    }
}
