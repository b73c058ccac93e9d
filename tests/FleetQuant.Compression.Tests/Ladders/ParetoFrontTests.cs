using FleetQuant.Compression.Ladders;

namespace FleetQuant.Compression.Tests.Ladders;

public sealed class ParetoFrontTests
{
    [Fact]
    public void Mark_KeepsOnlyEntriesNoOtherBeatsOnSizeAndAccuracy()
    {
        LadderEntry[] entries =
        [
            Entry("fp32", 1000, 0.90),
            Entry("q8cs", 300, 0.90),      // beats fp32: smaller, same accuracy
            Entry("q4b32a", 150, 0.88),
            Entry("p50", 400, 0.87),       // beaten by q8cs and q4b32a
            Entry("binary", 40, 0.50),
            Entry("km2", 150, 0.80),       // same size as q4b32a, worse
            Entry("broken", 10, 0.99) with { Error = "step failed" },
        ];

        var marked = ParetoFront.Mark(entries).ToDictionary(e => e.Id, e => e.Pareto);

        Assert.Equal(["binary", "q4b32a", "q8cs"], marked.Where(m => m.Value).Select(m => m.Key).Order().ToArray());
    }

    [Fact]
    public void Mark_IdenticalEntries_AreBothOnTheFront()
    {
        var marked = ParetoFront.Mark([Entry("a", 100, 0.9), Entry("b", 100, 0.9)]);

        Assert.All(marked, e => Assert.True(e.Pareto));
    }

    private static LadderEntry Entry(string id, long wire, double accuracy) =>
        new(id, 8, 0, wire, wire * 2, accuracy, 0.9 - accuracy, 1, Pareto: false);
}
