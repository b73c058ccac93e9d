using System.Diagnostics.CodeAnalysis;
using Orleans;

namespace FleetQuant.Grains.Tests.Hosting;

/// <summary>Minimal <see cref="IGrainState{T}"/> for calling a storage provider directly.</summary>
internal sealed class TestGrainState<T> : IGrainState<T>
    where T : new()
{
    private T _state = new();

    [AllowNull]
    public T State
    {
        get => _state;
        set => _state = value ?? new T();
    }

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }
}

/// <summary>State shape used by the storage tests.</summary>
public sealed class CounterState
{
    public int Count { get; set; }

    public List<string> Names { get; set; } = [];
}
