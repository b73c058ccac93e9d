namespace FleetQuant.Grains.Persistence;

/// <summary>A SQLite grain storage or reminder table operation failed; the message names the file and the record.</summary>
public sealed class SqliteStorageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SqliteStorageException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
