namespace FleetQuant.Demo;

/// <summary>
/// What <c>fleetquant demo</c> measured. <see cref="Updated"/> counts devices running the last rolled-out version at the
/// end; <see cref="Failed"/> counts devices a rollout marked failed. Bytes are what the devices actually downloaded;
/// the baseline is a full FP32 ONNX download for every device that ended up running the rolled-out version.
/// </summary>
public sealed record DemoReport
{
    public required int Devices { get; init; }

    public required int Updated { get; init; }

    public required int Failed { get; init; }

    public required long BytesSent { get; init; }

    public required long BytesBaseline { get; init; }

    /// <summary>Baseline bytes / bytes sent (how many times less was sent).</summary>
    public required double SavedRatio { get; init; }

    public required IReadOnlyList<DemoRollout> Rollouts { get; init; }

    /// <summary>Devices per hardware class and installed recipe at the end.</summary>
    public required IReadOnlyList<DemoFleetGroup> Fleet { get; init; }

    /// <summary>The last version's ladder, for the recipes devices run.</summary>
    public required IReadOnlyList<DemoRecipe> Recipes { get; init; }

    public required double WallSeconds { get; init; }

    /// <summary>Set with <c>--keep-running</c>: where the server stays up.</summary>
    public DemoEndpoints? Server { get; init; }

    public static double Ratio(long baseline, long sent) => sent > 0 ? Math.Round((double)baseline / sent, 2) : 0;
}

/// <summary>One rollout of the demo: how it ended, how devices got it, and the bytes it cost against FP32.</summary>
public sealed record DemoRollout(
    string RolloutId,
    string ModelId,
    string Version,
    string State,
    int Targets,
    int Succeeded,
    int Failed,
    int Unfit,
    int FullTransfers,
    int DeltaTransfers,
    long BytesSent,
    long BytesBaseline,
    double SavedRatio,
    double Seconds);

public sealed record DemoFleetGroup(string HardwareClass, string Recipe, int Devices);

public sealed record DemoRecipe(string RecipeId, int Devices, long WireBytes, double Accuracy, double AccuracyDrop, string Metric);

public sealed record DemoEndpoints(string Url, string Token, string MqttHost, int MqttPort);
