using System.Collections.Concurrent;
using FleetQuant.Compression.Artifacts;

namespace FleetQuant.Compression.Deltas;

/// <summary>
/// One artifact's tensors decoded on demand, each at most once however many threads ask: its symbol streams and its
/// runtime bytes (a base tensor can serve both a difference and a prediction).
/// </summary>
internal sealed class DecodedTensors(LoadedArtifact artifact)
{
    /// <summary>
    /// Decoders' scratch state (a 256 KiB probability table each, zstd contexts), shared by every encode in the process
    /// so that each call does not allocate its own; at most this many are kept idle.
    /// </summary>
    private static readonly int MaxIdleWorkspaces = 2 * Environment.ProcessorCount;
    private static readonly ConcurrentBag<DecodeWorkspace> Idle = [];

    private readonly ConcurrentDictionary<int, Lazy<byte[][]>> _symbols = new();
    private readonly ConcurrentDictionary<int, Lazy<byte[]>> _bytes = new();

    public TensorEntry Entry(int index) => artifact.Table.Tensors[index];

    public byte[][] Symbols(int index) => _symbols.GetOrAdd(index, i => new Lazy<byte[][]>(() => Decode(i))).Value;

    public byte[] Bytes(int index) => _bytes.GetOrAdd(index, i => new Lazy<byte[]>(() => SymbolDiff.Dense(Entry(i), Symbols(i)))).Value;

    private byte[][] Decode(int index)
    {
        if (!Idle.TryTake(out var workspace))
        {
            workspace = new DecodeWorkspace();
        }
        try
        {
            return ArtifactSource.DecodeSymbols(Entry(index), artifact.Payload(index), workspace);
        }
        finally
        {
            workspace.ReleaseAll();
            if (Idle.Count < MaxIdleWorkspaces)
            {
                Idle.Add(workspace);
            }
            else
            {
                workspace.Dispose();
            }
        }
    }
}
