using System.Runtime.ExceptionServices;

namespace FleetQuant.Compression.Training.Graph;

/// <summary>
/// Splits a range into pieces whose bounds depend only on the range and a grain size, never on the number of cores,
/// and runs them on the thread pool. Every output value is computed inside one piece in a fixed order, so results are
/// bit-identical however many threads run and whichever finishes first.
/// </summary>
internal static class FixedPartitions
{
    /// <summary>Below this many multiply-adds a piece is not worth handing to another thread.</summary>
    public const long MinWorkPerPiece = 32 * 1024;

    [ThreadStatic]
    private static bool _inline;

    /// <summary>
    /// Runs every piece on the calling thread until disposed: for callers that already run in parallel, and to show
    /// that results do not depend on threading.
    /// </summary>
    public static IDisposable RunInline()
    {
        var previous = _inline;
        _inline = true;
        return new InlineScope(previous);
    }

    public static void For(int count, long workPerItem, Action<int, int> body)
    {
        if (count <= 0)
        {
            return;
        }
        var perPiece = (int)Math.Clamp(MinWorkPerPiece / Math.Max(1, workPerItem), 1, count);
        var pieces = (count + perPiece - 1) / perPiece;
        if (pieces == 1 || _inline)
        {
            for (var p = 0; p < pieces; p++)
            {
                body(p * perPiece, Math.Min(count, (p + 1) * perPiece));
            }
            return;
        }
        try
        {
            Parallel.For(0, pieces, p => body(p * perPiece, Math.Min(count, (p + 1) * perPiece)));
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
            throw;
        }
    }

    private sealed class InlineScope(bool previous) : IDisposable
    {
        public void Dispose() => _inline = previous;
    }
}
