namespace FleetQuant.Cli.Output;

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread, so progress bars update in order.</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
