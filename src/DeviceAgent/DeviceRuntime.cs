using System.Collections.Concurrent;
using FleetQuant.Compression.Evaluation;
using FleetQuant.DeviceAgent.Inference;
using FleetQuant.DeviceAgent.Link;
using FleetQuant.DeviceAgent.Profiles;
using FleetQuant.DeviceAgent.Storage;
using FleetQuant.DeviceAgent.Transfer;
using FleetQuant.DeviceAgent.Updates;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Topics;
using FleetQuant.Protocol.Transfer;
using Microsoft.Extensions.Logging;
using MQTTnet.Exceptions;

namespace FleetQuant.DeviceAgent;

/// <summary>
/// One running device: its MQTT link, on-disk store, model runner, update applier and telemetry.
/// The agent process runs one; the simulator runs many in one process.
/// </summary>
public sealed class DeviceRuntime : IAsyncDisposable
{
    private readonly AgentOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly DeviceLink _link;
    private readonly ModelStore _store;
    private readonly ModelRunner _runner;
    private readonly UpdateApplier _applier;
    private readonly TelemetryWindow _telemetry = new();
    private readonly TokenBucket? _throttle;
    private readonly IUpdateFaultHook _faults;
    private readonly ConcurrentDictionary<string, ChunkFetcher> _fetchers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private long? _measuredBandwidth;
    private long _chunkBytesReceived;
    private int _telemetryLost;
    private TimeSpan? _telemetryInterval;

    /// <param name="faults">Fault injection for simulated devices; null for none.</param>
    public DeviceRuntime(AgentOptions options, EvalSet samples, ILogger logger, TimeProvider? clock = null, IUpdateFaultHook? faults = null)
    {
        _options = options;
        _faults = faults ?? NoUpdateFaults.Instance;
        _runner = new ModelRunner(samples);
        _logger = logger;
        _clock = clock ?? TimeProvider.System;
        _store = new ModelStore(options.StateDirectory);
        _link = new DeviceLink(options.Link, logger);
        var profileBandwidth = options.Profile.BandwidthBitsPerSecond;
        _throttle = options.ThrottleToProfileBandwidth && profileBandwidth is > 0 ? new TokenBucket(profileBandwidth.Value, _clock) : null;
        var verifier = new ManifestVerifier(ManifestKeys.ImportPem(options.ServerPublicKeyPem), _clock)
        {
            Architecture = ProfileDetector.Architecture(options.Profile),
        };
        _applier = new UpdateApplier(DeviceId, _store, _runner, verifier, FetchAsync, ReportAsync, _faults, logger);
        _link.MessageReceived = OnDownlinkAsync;
        _link.Connected = SayHelloAsync;
    }

    public string DeviceId => _options.Link.DeviceId;

    /// <summary>The artifact the device runs now (null before its first model).</summary>
    public string? CurrentArtifact => _store.State.Current?.ArtifactSha256;

    public AgentState State => _store.State;

    public bool IsConnected => _link.IsConnected;

    /// <summary>How often the link came back after losing the broker.</summary>
    public int Reconnects => _link.Reconnects;

    public long BytesDownloaded => _applier.BytesDownloaded;

    /// <summary>Every update report sent, in order; for the simulator's summary and for tests.</summary>
    public ConcurrentQueue<UpdateReport> Reports { get; } = new();

    /// <summary>Payload bytes of every chunk frame that reached this device, duplicates and corrupt ones included.</summary>
    public long ChunkBytesReceived => Interlocked.Read(ref _chunkBytesReceived);

    /// <summary>Counters of every completed download (wire bytes, resumed and corrupt chunks), in order.</summary>
    public ConcurrentQueue<FetchStats> Fetches { get; } = new();

    /// <summary>Telemetry messages lost because the link dropped while they were being published.</summary>
    public int TelemetryLost => Volatile.Read(ref _telemetryLost);

    /// <summary>Set when the fault hook cut the power: the runtime stopped and must be restarted.</summary>
    public bool PoweredOff { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _applier.Boot();
        await _link.StartAsync(cancellationToken);
        _loops.Add(Task.Run(() => InferenceLoopAsync(_stop.Token), CancellationToken.None));
        _loops.Add(Task.Run(() => TelemetryLoopAsync(_stop.Token), CancellationToken.None));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops.Select(l => l.ContinueWith(_ => { }, TaskScheduler.Default)));
        await _link.DisposeAsync();
        _runner.Dispose();
        _stop.Dispose();
    }

    private async Task SayHelloAsync()
    {
        var profile = ProfileDetector.Detect(DeviceId, _options.StateDirectory, _options.AgentVersion, _options.Profile, _measuredBandwidth);
        await _link.PublishAsync(DeviceTopics.Hello, new HelloMessage
        {
            Profile = profile,
            AgentVersion = _options.AgentVersion,
            CurrentArtifactSha256 = _store.State.Current?.ArtifactSha256,
            LastAcceptedRelease = _store.State.LastAcceptedRelease,
        });
        foreach (var fetcher in _fetchers.Values)
        {
            fetcher.ResendPending();
        }
    }

    private Task OnDownlinkAsync(string kind, ReadOnlyMemory<byte> payload)
    {
        switch (kind)
        {
            case DeviceTopics.ChunkResponse:
                RouteChunk(ChunkFrame.Parse(payload));
                return Task.CompletedTask;
            case DeviceTopics.Desired:
                // Updates take a while: run them off the MQTT receive loop.
                _ = Task.Run(() => RunUpdateAsync(() => _applier.HandleDesiredAsync(payload.ToArray(), _stop.Token)));
                return Task.CompletedTask;
            case DeviceTopics.Command:
                return HandleCommandAsync(ProtocolJson.Deserialize<DeviceCommand>(payload.Span));
            default:
                _logger.LogDebug("{Device} ignores downlink '{Kind}'", DeviceId, kind);
                return Task.CompletedTask;
        }
    }

    private async Task RunUpdateAsync(Func<Task> update)
    {
        try
        {
            await update();
        }
        catch (Exception ex) when (_faults.CutThePower(ex))
        {
            PoweredOff = true;
            _logger.LogWarning("{Device}: {Fault}", DeviceId, ex.Message);
            await _stop.CancelAsync();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _logger.LogError("{Device} update crashed: {Reason}", DeviceId, ex.Message);
        }
    }

    private Task HandleCommandAsync(DeviceCommand command)
    {
        switch (command.Kind)
        {
            case CommandKind.Rollback:
                _ = Task.Run(() => RunUpdateAsync(() => _applier.RollbackAsync(_stop.Token)));
                break;
            case CommandKind.SetTelemetryInterval when command.TelemetryIntervalSeconds is > 0:
                _telemetryInterval = TimeSpan.FromSeconds(command.TelemetryIntervalSeconds.Value);
                break;
        }
        return Task.CompletedTask;
    }

    private void RouteChunk(ChunkFrame frame)
    {
        Interlocked.Add(ref _chunkBytesReceived, frame.Data.Length);
        if (!_fetchers.TryGetValue(frame.ObjectSha256, out var fetcher))
        {
            return;
        }
        fetcher.Offer(_faults.OnChunk(frame, () => _ = Task.Run(_link.DropAsync)));
    }

    private async Task<byte[]> FetchAsync(TransferObject obj, CancellationToken cancellationToken)
    {
        var bandwidth = _options.Profile.BandwidthBitsPerSecond ?? _measuredBandwidth ?? 1_000_000;
        var fetcher = new ChunkFetcher(obj, _store, SendChunkRequestAsync, bandwidth, _throttle, _clock);
        _fetchers[obj.Sha256] = fetcher;
        try
        {
            var lastReport = _clock.GetUtcNow();
            var (content, stats) = await fetcher.FetchAsync((done, total) =>
            {
                if (_clock.GetUtcNow() - lastReport > TimeSpan.FromSeconds(2))
                {
                    lastReport = _clock.GetUtcNow();
                    _ = ReportAsync(new UpdateReport { Release = _store.State.LastAcceptedRelease, Stage = UpdateStage.Downloading, BytesReceived = done, BytesTotal = total });
                }
            }, cancellationToken);
            Fetches.Enqueue(stats);
            if (stats.Elapsed > TimeSpan.Zero && stats.BytesReceived > 0)
            {
                _measuredBandwidth = (long)(stats.BytesReceived * 8 / stats.Elapsed.TotalSeconds);
            }
            _logger.LogInformation("{Device} fetched {Bytes} bytes in {Chunks} chunks ({Resumed} resumed, {Corrupt} corrupt, {Timeouts} timeouts)",
                DeviceId, stats.BytesReceived, stats.ChunksFetched, stats.ChunksResumed, stats.CorruptChunks, stats.Timeouts);
            return content;
        }
        finally
        {
            _fetchers.TryRemove(obj.Sha256, out _);
        }
    }

    /// <summary>
    /// A request lost with the link is no different from a lost response: the fetcher asks again when the link is
    /// back (<see cref="ChunkFetcher.ResendPending"/>) or when the chunk times out. Failing here would abandon the
    /// download and, before its progress was persisted, start it over from zero.
    /// </summary>
    private async Task SendChunkRequestAsync(ChunkRequest request, CancellationToken cancellationToken)
    {
        try
        {
            await _link.PublishAsync(DeviceTopics.ChunkRequest, request, cancellationToken: cancellationToken);
        }
        catch (MqttCommunicationException ex)
        {
            _logger.LogDebug("{Device} chunk request lost with the link: {Reason}", DeviceId, ex.Message);
        }
    }

    private async Task ReportAsync(UpdateReport report)
    {
        Reports.Enqueue(report);
        try
        {
            if (_link.IsConnected)
            {
                await _link.PublishAsync(DeviceTopics.Update, report);
            }
        }
        catch (MqttCommunicationException ex)
        {
            // The next hello carries the artifact the device runs, so the cloud still learns the outcome.
            _logger.LogDebug("{Device} update report lost with the link: {Reason}", DeviceId, ex.Message);
        }
    }

    private async Task InferenceLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.InferenceInterval, _clock);
        var next = 0;
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            if (!_runner.IsLoaded)
            {
                continue;
            }
            try
            {
                var (confidence, latency) = _runner.Infer(next);
                _telemetry.RecordSuccess(latency, confidence);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _telemetry.RecordError();
            }
            next = (next + 1) & int.MaxValue;
        }
    }

    private async Task TelemetryLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(_telemetryInterval ?? _options.TelemetryInterval, _clock, cancellationToken);
            if (!_link.IsConnected)
            {
                continue;
            }
            var message = _telemetry.Drain(_clock.GetUtcNow(), _runner.ArtifactSha256, Environment.WorkingSet, _measuredBandwidth);
            try
            {
                await _link.PublishAsync(DeviceTopics.Telemetry, message, cancellationToken: cancellationToken);
            }
            catch (MqttCommunicationException ex)
            {
                // The link dropped after the IsConnected check: this window is lost, the health check reconnects.
                Interlocked.Increment(ref _telemetryLost);
                _logger.LogWarning("{Device} telemetry lost with the link: {Reason}", DeviceId, ex.Message);
            }
        }
    }
}
