using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;

namespace FleetQuant.Grains.Tests.Hosting;

/// <summary>
/// A model's persisted state — input hints, data-set hashes, a ladder with per-input and per-output records — survives
/// Orleans' default JSON grain-storage serializer, the one the silo stores it with.
/// </summary>
public sealed class ModelStateSerializationTests
{
    [Fact]
    public void ModelState_WithHintsAndALadderOfSeveralOutputs_RoundTripsThroughTheDefaultSerializer()
    {
        var serializer = new JsonGrainStorageSerializer(new OrleansJsonSerializer(Options.Create(new OrleansJsonSerializerOptions())));
        var hints = new InputHintsInfo(
            new Dictionary<string, long[]> { ["input"] = [1, 512] },
            new Dictionary<string, double> { ["sr"] = 16000 },
            new Dictionary<string, ValueRangeInfo> { ["input"] = new(-1, 1) });
        var ladder = new LadderInfo("fidelity", new LadderBaselineInfo(100, 200, 1, 0.1),
            // Lists, as the mapping from the library builds them (a collection expression's type has no public constructor).
            new List<LadderRung>
            {
                new("q8cs", 8, 0, 30, 150, 0.99, 0.01, 0.1, true, null, 0.999, null, 0.02, null, new List<string> { "w: reason" },
                    new List<OutputFidelityInfo> { new("output", "score", null, 1, 0.02, 0.001) }),
            },
            16, new List<LadderInputInfo> { new("sr", "int64", [], "constant", "value 16000") }, new List<LadderOutputInfo> { new("output", "score") });
        var state = new ModelGrainState();
        state.Versions.Add(new ModelVersionRecord
        {
            Version = "1",
            Source = new StoredBlob("abc", 100),
            EvalSetHash = "def",
            CalibrationSetHash = "ghi",
            InputHints = hints,
            Ladder = ladder,
            Status = ModelStatus.Ready,
        });

        var back = serializer.Deserialize<ModelGrainState>(serializer.Serialize(state))!.Versions.Single();

        Assert.Equal([1L, 512], back.InputHints.Shapes["input"]);
        Assert.Equal(16000, back.InputHints.Values["sr"]);
        Assert.Equal(new ValueRangeInfo(-1, 1), back.InputHints.Ranges["input"]);
        Assert.Equal("ghi", back.CalibrationSetHash);
        Assert.Equal("constant", back.Ladder!.Inputs!.Single().Source);
        Assert.Equal("score", back.Ladder.Rungs.Single().OutputFidelity!.Single().Kind);
        Assert.Equal(["w: reason"], back.Ladder.Rungs.Single().LeftExact);
    }
}
