using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using FleetQuant.Gateway.Bridge;
using FleetQuant.Gateway.Tests.Support;
using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Observability;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Topics;
using FleetQuant.Protocol.Transfer;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FleetQuant.Gateway.Tests.Fuzz;

/// <summary>
/// Mutated payloads of every uplink kind through the bridge's router into the real grains of an in-process host:
/// each is routed or dropped as malformed (counted under <c>fleetquant_rejected_total{reason="malformed"}</c>), none
/// escapes as an exception or fails inside a grain, none hangs, the run keeps no memory, and the device still works.
/// </summary>
[Trait("Category", "Fuzz")]
[Collection(nameof(FuzzCollection))]
public sealed class UplinkFuzzTests(AllInOneHost host) : IClassFixture<AllInOneHost>
{
    internal static readonly TimeSpan CaseDeadline = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Kinds => [DeviceTopics.Hello, DeviceTopics.Telemetry, DeviceTopics.Update, DeviceTopics.ChunkRequest, DeviceTopics.Status];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Route_MutatedUplinks_AreRoutedOrDroppedAsMalformed_AndTheDeviceStillWorks(string kind)
    {
        var deviceId = $"fuzz-{kind}";
        await GatewayTestData.ProvisionAsync(host.Http, deviceId);

        var outcomes = await RunAsync(host, $"uplink {kind}", deviceId, kind, Seed(kind, deviceId), new CountingDownlink());

        Assert.True(outcomes.GetValueOrDefault("malformed") > 0, string.Join(", ", outcomes));
    }

    /// <summary>Mutates <paramref name="seed"/> case after case through a router of the host; returns the outcome counts.</summary>
    internal static async Task<Dictionary<string, int>> RunAsync(AllInOneHost host, string name, string deviceId, string kind, byte[] seed, CountingDownlink downlink)
    {
        var cases = FuzzRun.Cases(1000);
        var log = new WarningLog();
        var router = ActivatorUtilities.CreateInstance<UplinkRouter>(host.Services, log);
        var topic = DeviceTopics.Up(deviceId, kind);
        await router.RouteAsync(topic, seed, downlink, CancellationToken.None);
        var mutator = new PayloadMutator(20261204 + name.Length);
        var outcomes = new Dictionary<string, int>();
        var malformedBefore = RejectionCounts.Of(RejectionReason.Malformed);
        var clock = Stopwatch.StartNew();
        var heapBefore = FuzzRun.CollectedHeapBytes();

        for (var i = 0; i < cases; i++)
        {
            var (mutation, bytes) = mutator.MutateJson(seed);
            var label = $"{name} case {i} ({mutation}, sha256 {Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]})";
            var (routed, malformed, refused) = (host.Counters.RoutedMessages, host.Counters.MalformedMessages, host.Counters.ChunkRequestsRefused);
            await FuzzRun.WithDeadline(async () =>
            {
                await router.RouteAsync(topic, bytes, downlink, CancellationToken.None);
                return true;
            }, CaseDeadline, label);
            Assert.True(log.Warnings.IsEmpty, $"{label}: failed inside the grain instead of being dropped: {string.Join(" | ", log.Warnings)}");
            var outcome = host.Counters.MalformedMessages > malformed ? "malformed"
                : host.Counters.ChunkRequestsRefused > refused ? "refused"
                : host.Counters.RoutedMessages > routed ? "routed"
                : throw new Xunit.Sdk.XunitException($"{label}: neither routed, refused nor counted as malformed");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        FuzzRun.AssertBoundedMemory(heapBefore, name);
        Assert.True(RejectionCounts.Of(RejectionReason.Malformed) - malformedBefore >= outcomes.GetValueOrDefault("malformed"));

        // The device grain still answers and the valid message still goes through.
        var view = await host.Services.GetRequiredService<IGrainFactory>().GetGrain<IDeviceGrain>(deviceId).GetView().WaitAsync(CaseDeadline);
        Assert.NotNull(view);
        var (routedBefore, refusedBefore) = (host.Counters.RoutedMessages, host.Counters.ChunkRequestsRefused);
        await router.RouteAsync(topic, seed, downlink, CancellationToken.None).WaitAsync(CaseDeadline);
        Assert.True(host.Counters.RoutedMessages > routedBefore || host.Counters.ChunkRequestsRefused > refusedBefore, "the valid seed message was not handled after the run");
        Console.WriteLine(FuzzRun.Summary(name, cases, clock, outcomes));
        return outcomes;
    }

    private static byte[] Seed(string kind, string deviceId) => kind switch
    {
        DeviceTopics.Hello => ProtocolJson.Serialize(GatewayTestData.Hello(deviceId, currentArtifact: new string('b', 64)) with { LastAcceptedRelease = 3 }),
        DeviceTopics.Telemetry => ProtocolJson.Serialize(new TelemetryMessage
        {
            At = new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero),
            ArtifactSha256 = new string('b', 64),
            Inferences = 10,
            Errors = 1,
            LatenciesMs = [1.5, 2.25, 3],
            MeanConfidence = 0.9,
            MemoryBytes = 1 << 20,
            DownloadBitsPerSecond = 1_000_000,
        }),
        DeviceTopics.Update => ProtocolJson.Serialize(new UpdateReport
        {
            Release = 2, Stage = UpdateStage.Downloading, BytesReceived = 100, BytesTotal = 1000, ArtifactSha256 = new string('b', 64), Reason = "fuzz", Seconds = 1.5,
        }),
        DeviceTopics.ChunkRequest => ProtocolJson.Serialize(new ChunkRequest { ObjectSha256 = new string('c', 64), Offset = 0, Length = 1024, RequestId = 7 }),
        DeviceTopics.Status => ProtocolJson.Serialize(new StatusMessage { Online = true }),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Keeps the router's warnings: it logs one when a grain call fails for a reason other than bad input.</summary>
    private sealed class WarningLog : ILogger<UplinkRouter>
    {
        public ConcurrentQueue<string> Warnings { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                Warnings.Enqueue(formatter(state, exception));
            }
        }
    }

    /// <summary>Takes what the router publishes; for chunk responses, remembers the largest frame and the furthest byte served.</summary>
    internal sealed class CountingDownlink : IDownlink
    {
        public long MaxChunkEnd { get; private set; }

        public int MaxChunkLength { get; private set; }

        public Task PublishAsync(string topic, byte[] payload, bool retain, CancellationToken cancellationToken)
        {
            if (topic.EndsWith("/" + DeviceTopics.ChunkResponse, StringComparison.Ordinal))
            {
                var frame = ChunkFrame.Parse(payload);
                MaxChunkEnd = Math.Max(MaxChunkEnd, frame.Offset + frame.Data.Length);
                MaxChunkLength = Math.Max(MaxChunkLength, frame.Data.Length);
            }
            return Task.CompletedTask;
        }
    }
}
