namespace FleetQuant.Grains.Persistence;

/// <summary>Options for <see cref="SqliteReminderTable"/>.</summary>
public sealed class SqliteReminderTableOptions : SqliteDatabaseOptions;
