using FleetQuant.Grains.Artifacts;
using Orleans.Concurrency;

namespace FleetQuant.Grains.Transfers;

/// <summary>Serves byte ranges of stored objects from the shared <see cref="HotObjectCache"/>, reading the store on a miss.</summary>
[StatelessWorker]
public sealed class ArtifactRangeGrain(IArtifactStore store, HotObjectCache cache) : Grain, IArtifactRangeGrain
{
    public async Task<byte[]> ReadRange(string objectSha256, long offset, int length)
    {
        ContentHash.Validate(objectSha256);
        if (offset < 0 || length <= 0)
        {
            throw new ArgumentException($"range {offset}+{length} is invalid");
        }
        if (!cache.TryGet(objectSha256, out var bytes))
        {
            bytes = await store.ReadAsync(objectSha256);
            cache.Add(objectSha256, bytes);
        }
        if (offset >= bytes.LongLength)
        {
            throw new ArgumentException($"offset {offset} is beyond the {bytes.LongLength} bytes of {objectSha256}");
        }
        return bytes.AsSpan((int)offset, (int)Math.Min(length, bytes.LongLength - offset)).ToArray();
    }
}
