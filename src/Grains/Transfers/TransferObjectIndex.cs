using System.Collections.Concurrent;
using FleetQuant.Grains.Artifacts;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Transfer;

namespace FleetQuant.Grains.Transfers;

/// <summary>
/// Per-chunk hash tables of stored objects, computed once per (object, chunk size) and kept in memory (bounded),
/// so issuing a manifest does not re-hash the artifact for every device. The bytes read go into the
/// <see cref="HotObjectCache"/>, since devices start pulling them right after.
/// </summary>
public sealed class TransferObjectIndex(IArtifactStore store, HotObjectCache hot)
{
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<(string Hash, int ChunkSize), TransferObject> _tables = new();

    public async Task<TransferObject> DescribeAsync(string hash, int chunkSize)
    {
        if (_tables.TryGetValue((hash, chunkSize), out var known))
        {
            return known;
        }
        if (!hot.TryGet(hash, out var bytes))
        {
            bytes = await store.ReadAsync(hash);
            hot.Add(hash, bytes);
        }
        var table = ChunkTable.Describe(bytes, chunkSize);
        if (_tables.Count >= MaxEntries)
        {
            _tables.Clear();
        }
        _tables[(hash, chunkSize)] = table;
        return table;
    }
}
