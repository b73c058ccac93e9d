using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FleetQuant.Grains.Observability;

/// <summary>
/// FleetQuant's one <see cref="Meter"/> ("FleetQuant") and its instruments. Lives in the abstractions assembly because
/// both the silo (grains, compression) and the Gateway (MQTT bridge, fleet sampler) record into it. Names are
/// dot-separated here; the Prometheus exporter turns them into <c>fleetquant_*</c> with unit and <c>_total</c>
/// suffixes. No instrument carries a device id: labels are model, version, recipe, rollout, state and kind only.
/// </summary>
public static class FleetQuantMetrics
{
    public const string MeterName = "FleetQuant";

    /// <summary>The longest inference latency recorded (one hour); device grains drop longer ones before they get here.</summary>
    public const double MaxLatencyMs = 3_600_000;

    public static readonly Meter Meter = new(MeterName);

    private static readonly double[] UpdateSecondsBuckets = [0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
    private static readonly double[] LatencySecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    private static readonly double[] ConfidenceBuckets = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];
    private static readonly double[] JobSecondsBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

    private static readonly Counter<long> UpdateSent = Meter.CreateCounter<long>("fleetquant.update.sent", "By",
        "Bytes of finished updates as they travelled (the delta when there was one, else the compressed artifact).");

    private static readonly Counter<long> UpdateBaseline = Meter.CreateCounter<long>("fleetquant.update.baseline", "By",
        "Bytes the same finished updates would have cost as a full FP32 model download.");

    private static readonly Counter<long> Updates = Meter.CreateCounter<long>("fleetquant.updates", null,
        "Updates that settled, by result.");

    private static readonly Histogram<double> UpdateDuration = Meter.CreateHistogram<double>("fleetquant.update.duration", "s",
        "From issuing the desired state to the device's result.", null, new InstrumentAdvice<double> { HistogramBucketBoundaries = UpdateSecondsBuckets });

    private static readonly Counter<long> TelemetryReports = Meter.CreateCounter<long>("fleetquant.telemetry.reports", null,
        "Telemetry reports ingested by device grains.");

    private static readonly Histogram<double> InferenceLatency = Meter.CreateHistogram<double>("fleetquant.inference.latency", "s",
        "Inference latencies devices reported.", null, new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencySecondsBuckets });

    private static readonly Histogram<double> InferenceConfidence = Meter.CreateHistogram<double>("fleetquant.inference.confidence", null,
        "Mean top-1 confidence per telemetry report (0..1).", null, new InstrumentAdvice<double> { HistogramBucketBoundaries = ConfidenceBuckets });

    private static readonly Counter<long> MqttMessages = Meter.CreateCounter<long>("fleetquant.mqtt.messages", null,
        "MQTT messages the Gateway's bridge received (in) and published (out), by message kind.");

    private static readonly Counter<long> MqttPayload = Meter.CreateCounter<long>("fleetquant.mqtt.payload", "By",
        "MQTT payload bytes the Gateway's bridge received (in) and published (out), by message kind.");

    private static readonly Counter<long> Rejections = Meter.CreateCounter<long>("fleetquant.rejected", null,
        "Device traffic and requests refused or dropped, by reason (auth, acl, malformed, too-large, rate-limited, connection-limit, out-of-range, unverified-success).");

    private static readonly UpDownCounter<long> CompressionJobs = Meter.CreateUpDownCounter<long>("fleetquant.compression.jobs", null,
        "Compression jobs waiting in the queue (state=queued) and running (state=running).");

    private static readonly Histogram<double> CompressionDuration = Meter.CreateHistogram<double>("fleetquant.compression.duration", "s",
        "Run time of compression jobs (ladder, artifact, delta), by result.", null, new InstrumentAdvice<double> { HistogramBucketBoundaries = JobSecondsBuckets });

    private static FleetGaugeSnapshot _gauges = FleetGaugeSnapshot.Empty;

    static FleetQuantMetrics()
    {
        // Observed from the latest sample (see PublishGauges) so a scrape never waits on grain calls.
        Meter.CreateObservableGauge<long>("fleetquant.fleet.devices", () => Volatile.Read(ref _gauges).Devices, null,
            "Devices by state, hardware class and installed model/recipe, from the fleet index.");
        Meter.CreateObservableGauge<long>("fleetquant.rollout.devices", () => Volatile.Read(ref _gauges).RolloutDevices, null,
            "Targeted devices per rollout by status (waiting, dispatched, succeeded, failed, unfit, rolled_back).");
        Meter.CreateObservableGauge<long>("fleetquant.rollout.state", () => Volatile.Read(ref _gauges).RolloutStates, null,
            "1 for a rollout's current state, 0 for the others.");
        Meter.CreateObservableGauge<long>("fleetquant.rollout.wave", () => Volatile.Read(ref _gauges).RolloutWaves, null,
            "Per rollout: the wave being worked on (kind=current, 1-based) and the number of waves (kind=total).");
        Meter.CreateObservableGauge<double>("fleetquant.ladder.accuracy", () => Volatile.Read(ref _gauges).LadderAccuracy, null,
            "Measured accuracy (or agreement with the original) of each ladder recipe per model version.");
        Meter.CreateObservableGauge<long>("fleetquant.ladder.wire", () => Volatile.Read(ref _gauges).LadderWireBytes, "By",
            "Wire size of each ladder recipe per model version (recipe=fp32-baseline for the uncompressed model).");
    }

    /// <summary>Replaces what the observable gauges report (the Gateway's sampler calls this periodically).</summary>
    public static void PublishGauges(FleetGaugeSnapshot snapshot) => Volatile.Write(ref _gauges, snapshot);

    /// <summary>One settled update: its cost on the wire, what a full FP32 download would have cost, and how long it took.</summary>
    public static void RecordUpdate(UpdateLabels labels, bool succeeded, long sentBytes, long baselineBytes, TimeSpan duration)
    {
        var tags = new TagList
        {
            { "model", labels.ModelId },
            { "recipe", labels.RecipeId },
            { "transfer", labels.IsDelta ? "delta" : "full" },
        };
        if (succeeded)
        {
            UpdateSent.Add(sentBytes, tags);
            UpdateBaseline.Add(baselineBytes, tags);
        }
        tags.Add("result", succeeded ? "succeeded" : "failed");
        Updates.Add(1, tags);
        UpdateDuration.Record(Math.Max(0, duration.TotalSeconds), tags);
    }

    /// <summary>One ingested telemetry report, labelled with the model the device runs ("none" before its first).</summary>
    public static void RecordTelemetry(string? modelId, string? version, string? recipeId, IReadOnlyList<double> latenciesMs, double? meanConfidence)
    {
        var tags = new TagList
        {
            { "model", modelId ?? "none" },
            { "version", version ?? "none" },
            { "recipe", recipeId ?? "none" },
        };
        TelemetryReports.Add(1, tags);
        foreach (var latency in latenciesMs)
        {
            // Device grains bound latencies before this; a non-finite one would still turn the histogram's sum into +Inf for good.
            if (latency is > 0 and <= MaxLatencyMs)
            {
                InferenceLatency.Record(latency / 1000.0, tags);
            }
        }
        if (meanConfidence is { } confidence && confidence is >= 0 and <= 1)
        {
            InferenceConfidence.Record(confidence, tags);
        }
    }

    /// <summary>One MQTT message through the Gateway's bridge; <paramref name="kind"/> is the topic's last level.</summary>
    public static void RecordMqtt(MqttDirection direction, string kind, long payloadBytes)
    {
        var tags = new TagList
        {
            { "direction", direction == MqttDirection.In ? "in" : "out" },
            { "kind", kind },
        };
        MqttMessages.Add(1, tags);
        MqttPayload.Add(payloadBytes, tags);
    }

    /// <summary>One refusal: a message, request or value that was dropped instead of acted on.</summary>
    public static void RecordRejection(RejectionReason reason) => Rejections.Add(1, new TagList { { "reason", RejectionReasons.Label(reason) } });

    /// <summary>A compression job entered the queue.</summary>
    public static void CompressionQueued(string job) => CompressionJobs.Add(1, new TagList { { "job", job }, { "state", "queued" } });

    /// <summary>A compression job left the queue and started running.</summary>
    public static void CompressionStarted(string job)
    {
        CompressionJobs.Add(-1, new TagList { { "job", job }, { "state", "queued" } });
        CompressionJobs.Add(1, new TagList { { "job", job }, { "state", "running" } });
    }

    /// <summary>A compression job finished (or failed) after running for <paramref name="duration"/>.</summary>
    public static void CompressionFinished(string job, bool succeeded, TimeSpan duration)
    {
        CompressionJobs.Add(-1, new TagList { { "job", job }, { "state", "running" } });
        CompressionDuration.Record(duration.TotalSeconds, new TagList { { "job", job }, { "result", succeeded ? "succeeded" : "failed" } });
    }

    /// <summary>A compression job was dropped from the queue without running (shutdown).</summary>
    public static void CompressionAbandoned(string job) => CompressionJobs.Add(-1, new TagList { { "job", job }, { "state", "queued" } });
}

/// <summary>What an update is labelled with: model, recipe, and whether it travelled as a delta.</summary>
public readonly record struct UpdateLabels(string ModelId, string RecipeId, bool IsDelta);

/// <summary>Direction of an MQTT message as the Gateway sees it.</summary>
public enum MqttDirection
{
    In,
    Out,
}

/// <summary>
/// The latest values of the observable gauges, built by the Gateway's sampler from the fleet index, the rollouts and the
/// model ladders. Immutable: the sampler swaps in a new one.
/// </summary>
public sealed record FleetGaugeSnapshot(
    IReadOnlyList<Measurement<long>> Devices,
    IReadOnlyList<Measurement<long>> RolloutDevices,
    IReadOnlyList<Measurement<long>> RolloutStates,
    IReadOnlyList<Measurement<long>> RolloutWaves,
    IReadOnlyList<Measurement<double>> LadderAccuracy,
    IReadOnlyList<Measurement<long>> LadderWireBytes)
{
    public static readonly FleetGaugeSnapshot Empty = new([], [], [], [], [], []);
}
