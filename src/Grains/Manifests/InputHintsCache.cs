using System.Collections.Concurrent;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Grains.Compression;
using FleetQuant.Grains.Models;

namespace FleetQuant.Grains.Manifests;

/// <summary>
/// The input hints of model versions, as manifests carry them. A version's hints never change, so each is asked of its
/// model grain once per silo and kept (bounded), instead of once per device manifest.
/// </summary>
public sealed class InputHintsCache(IGrainFactory grains)
{
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<(string Model, string Version), InputHints> _hints = new();

    public async Task<InputHints> GetAsync(string modelId, string version)
    {
        if (_hints.TryGetValue((modelId, version), out var known))
        {
            return known;
        }
        var hints = LibraryMapping.ToLibrary(await grains.GetGrain<IModelGrain>(modelId).GetInputHints(version));
        if (_hints.Count >= MaxEntries)
        {
            _hints.Clear();
        }
        _hints[(modelId, version)] = hints;
        return hints;
    }
}
