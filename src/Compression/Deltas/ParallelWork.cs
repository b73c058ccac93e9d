using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace FleetQuant.Compression.Deltas;

/// <summary>
/// Runs the delta encoder's independent pieces of work on the thread pool. Every piece writes its result to a slot
/// the caller chose, so the delta never depends on which thread finished first; a failure surfaces as the piece's
/// own exception (a <see cref="DeltaException"/> or artifact error), not wrapped.
/// </summary>
internal static class ParallelWork
{
    /// <summary>Work on fewer symbols than this runs inline: handing it to another thread costs more than it saves.</summary>
    public const long MinSplitWork = 16 * 1024;

    /// <summary>Runs <paramref name="body"/> for each item, handing items out one at a time in the order given (largest first balances best).</summary>
    public static void ForEach(IEnumerable<int> items, Action<int> body) =>
        Unwrapped(() => Parallel.ForEach(Partitioner.Create(items, EnumerablePartitionerOptions.NoBuffering), body));

    private static void Unwrapped(Action run)
    {
        try
        {
            run();
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
            throw;
        }
    }
}
