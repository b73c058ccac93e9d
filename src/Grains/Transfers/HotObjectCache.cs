namespace FleetQuant.Grains.Transfers;

/// <summary>
/// A small least-recently-used cache of whole stored objects (artifacts, deltas) that devices are pulling right now,
/// bounded by total bytes, so a rollout's chunk requests read each object from disk once, not once per chunk.
/// </summary>
public sealed class HotObjectCache(long maxBytes = HotObjectCache.DefaultMaxBytes)
{
    public const long DefaultMaxBytes = 256L * 1024 * 1024;

    private readonly LinkedList<(string Hash, byte[] Bytes)> _order = new();
    private readonly Dictionary<string, LinkedListNode<(string Hash, byte[] Bytes)>> _byHash = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _bytes;

    public bool TryGet(string hash, out byte[] bytes)
    {
        lock (_gate)
        {
            if (_byHash.TryGetValue(hash, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                bytes = node.Value.Bytes;
                return true;
            }
        }
        bytes = [];
        return false;
    }

    public void Add(string hash, byte[] bytes)
    {
        if (bytes.LongLength > maxBytes)
        {
            return;
        }
        lock (_gate)
        {
            if (_byHash.ContainsKey(hash))
            {
                return;
            }
            _byHash[hash] = _order.AddFirst((hash, bytes));
            _bytes += bytes.LongLength;
            while (_bytes > maxBytes && _order.Last is { } oldest)
            {
                _order.RemoveLast();
                _byHash.Remove(oldest.Value.Hash);
                _bytes -= oldest.Value.Bytes.LongLength;
            }
        }
    }
}
