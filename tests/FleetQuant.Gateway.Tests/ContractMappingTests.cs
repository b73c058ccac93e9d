using System.Text.Json;
using System.Text.Json.Serialization;
using FleetQuant.Gateway.Api;
using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Fleet;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;
using Contract = FleetQuant.Api.Contracts;

namespace FleetQuant.Gateway.Tests;

/// <summary>
/// The HTTP contract has the wire shape the grain records had when they were the contract: mapping a fully populated
/// grain record and serializing it gives the same JSON as serializing the record itself.
/// </summary>
public sealed class ContractMappingTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private static readonly DateTimeOffset At = new(2026, 12, 4, 21, 0, 0, TimeSpan.Zero);

    [Fact]
    public void RolloutView_MapsToTheSameJson()
    {
        var spec = new RolloutSpec("m", "3", new TargetSelector(new Dictionary<string, string> { ["site"] = "a" }, ["pi-4"], ["d1"]),
            [WaveSpec.Devices(5), WaveSpec.PercentOf(50)], 0.9, 0.2, FailureAction.Abort, new HealthGate(TimeSpan.FromSeconds(30), 0.2, 0.05),
            1000, new PlanPolicyInfo(20, 0.01, 0.8));
        var view = new RolloutView("r1", spec, RolloutState.RolledBack, "drill", 1, 2, 10,
            new Dictionary<DeviceRolloutStatus, int> { [DeviceRolloutStatus.Succeeded] = 7, [DeviceRolloutStatus.RolledBack] = 3 }, 12345, "waiting");

        AssertSameJson(view, view.ToContract());
    }

    [Fact]
    public void DeviceViewAndSummary_MapToTheSameJson()
    {
        var tags = new Dictionary<string, string> { ["site"] = "lab" };
        var view = new DeviceView("d1",
            new DeviceProfileInfo("d1", "pi-4", "arm64", 4, ["neon", "dotprod"], 4L << 30, 1L << 30, 8L << 30, 20_000_000, 1L << 30, "1.22", "0.1", tags),
            DeviceState.Updating, "abc",
            new DesiredState("m", "3", "q8cs", "def", 1000, new DeltaTransfer("abc", "ghi", 100), 4, "r1", "rollout r1", At, "arm64"),
            new DevicePlan(false, "q8cs", TransferMode.Delta, 100, 0.5, "why"),
            new TelemetryAggregates(2, 100, 1, 1.5, 3.5, 1 << 20, 0.9, 1_000_000),
            [new UpdateHistoryEntry(3, "m", "2", "q4b32a", null, false, "hash mismatch", At)],
            At, new DeviceConnection(true, At));
        var summary = new DeviceSummary("d1", "pi-4", tags, DeviceState.UpToDate, "m", "3", "q8cs");

        AssertSameJson(view, view.ToContract());
        AssertSameJson(summary, summary.ToContract());
    }

    [Fact]
    public void ModelView_MapsToTheSameJson()
    {
        var rung = new LadderRung("q8cs", 8, 0.1, 1000, 2000, 0.88, -0.004, 0.3, true, "{}", 0.999, null, 0.01, false, ["w"],
            [new OutputFidelityInfo("out", "classes", 0.99, 0.999, 0.01, 0.001)]);
        var ladder = new LadderInfo("accuracy", new LadderBaselineInfo(4000, 8000, 0.876, 0.4), [rung], 1000,
            [new LadderInputInfo("x", "float", [1, 784], "data", "x=1,784")], [new LadderOutputInfo("out", "classes")]);
        var hints = new InputHintsInfo(new Dictionary<string, long[]> { ["x"] = [1, 784] }, new Dictionary<string, double> { ["sr"] = 16000 },
            new Dictionary<string, ValueRangeInfo> { ["x"] = new(-1, 1) });
        var version = new ModelVersionView("3", new StoredBlob("h", 4000), "e", ModelStatus.Ready, null, ladder,
            new Dictionary<string, StoredBlob> { ["q8cs"] = new("a", 1000) }, At, "c", hints);
        var model = new ModelView("m", [version]);

        AssertSameJson(model, model.ToContract());
        AssertSameJson(ladder, ladder.ToContract());
    }

    [Fact]
    public void EveryMappedEnum_HasTheSameMemberNamesOnBothSides()
    {
        AssertSameNames<RolloutState, Contract.RolloutState>();
        AssertSameNames<DeviceRolloutStatus, Contract.DeviceRolloutStatus>();
        AssertSameNames<FailureAction, Contract.FailureAction>();
        AssertSameNames<DeviceState, Contract.DeviceState>();
        AssertSameNames<ModelStatus, Contract.ModelStatus>();
        AssertSameNames<TransferMode, Contract.TransferMode>();
    }

    private static void AssertSameJson<TGrain, TContract>(TGrain grain, TContract contract) =>
        Assert.Equal(JsonSerializer.Serialize(grain, Json), JsonSerializer.Serialize(contract, Json));

    private static void AssertSameNames<TGrain, TContract>() where TGrain : struct, Enum where TContract : struct, Enum =>
        Assert.Equal(Enum.GetNames<TGrain>(), Enum.GetNames<TContract>());
}
