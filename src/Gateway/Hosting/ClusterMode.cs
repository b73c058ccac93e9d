namespace FleetQuant.Gateway.Hosting;

/// <summary>How silos find each other and where grain state and reminders live.</summary>
public enum ClusterMode
{
    /// <summary>One silo on loopback; grain state and reminders in SQLite under the data directory.</summary>
    Local,

    /// <summary>Any number of silos clustered through Redis, which also holds grain state and reminders.</summary>
    Redis,
}
