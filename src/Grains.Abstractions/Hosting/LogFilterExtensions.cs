using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FleetQuant.Grains.Hosting;

/// <summary>Log filters every FleetQuant host applies (silos and a standalone Gateway's Orleans client alike).</summary>
public static class LogFilterExtensions
{
    /// <summary>
    /// Orleans runs grain placement through a Polly pipeline whose telemetry logs "Execution attempt" and "Resilience
    /// pipeline executed" at Information on every new activation, drowning the log; retries and failures, which Polly
    /// logs at Warning and above, still show.
    /// </summary>
    public static IServiceCollection AddFleetQuantLogFilters(this IServiceCollection services) =>
        services.AddLogging(logging => logging.AddFilter("Polly", LogLevel.Warning));
}
