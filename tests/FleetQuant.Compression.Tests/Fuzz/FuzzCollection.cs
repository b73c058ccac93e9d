namespace FleetQuant.Compression.Tests.Fuzz;

/// <summary>
/// The fuzzers check the managed heap of the whole test process, so they run alone: a ladder built by a test class
/// running beside them would count against their bound (seen in CI).
/// </summary>
[CollectionDefinition(nameof(FuzzCollection), DisableParallelization = true)]
public sealed class FuzzCollection;
