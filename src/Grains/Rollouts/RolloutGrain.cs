using System.Diagnostics;
using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Fleet;
using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FleetQuant.Grains.Rollouts;

/// <summary>
/// Moves a selected set of devices to a model version in waves. A durable reminder wakes the rollout (so it
/// resumes by itself after a restart) and a grain timer paces dispatch while it is active; both run
/// <see cref="Tick"/>. Device outcomes arrive as one-way calls and are counted once per device; the device grain has
/// written an outcome before reporting it, and the rollout rebuilds any count it had not written yet on activation.
/// </summary>
public sealed class RolloutGrain(
    [PersistentState("rollout", StorageNames.Rollouts)] IPersistentState<RolloutGrainState> state,
    FleetClock clock,
    IOptions<RolloutOptions> options,
    ILogger<RolloutGrain> logger) : Grain, IRolloutGrain, IRemindable
{
    private const string ReminderName = "rollout-drive";
    private const int HealthSampleSize = 32;

    private readonly RolloutOptions _options = options.Value;
    private IGrainTimer? _timer;
    private bool _reconciled;
    private bool _dirty;

    private string RolloutId => this.GetPrimaryKeyString();

    private RolloutGrainState S => state.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.State is RolloutState.Running or RolloutState.Paused or RolloutState.Completed or RolloutState.Aborted
            && S.Devices.ContainsValue(DeviceRolloutStatus.Dispatched))
        {
            // The device grains are the durable record of outcomes (written before a report is acknowledged): counts
            // written here later (batched, one-way) are rebuilt from them, so no acknowledged outcome is lost to a crash.
            try
            {
                await ReconcileAsync();
                if (_dirty)
                {
                    await SaveAsync();
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _reconciled = false; // a running rollout retries on its next tick
                logger.LogWarning("rollout {Rollout} could not recover outcomes from its devices on activation: {Error}", RolloutId, ex.Message);
            }
        }
        if (S.State == RolloutState.Running)
        {
            StartTimer();
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_dirty)
        {
            await state.WriteStateAsync(cancellationToken);
        }
    }

    public async Task<RolloutView> Create(RolloutSpec spec)
    {
        if (S.Spec is not null)
        {
            return StoredForms.SameSpec(S.Spec, spec) ? View() : throw new RolloutExistsException(RolloutId);
        }
        RolloutSpecValidator.Validate(spec);
        // Refused before anything is stored, so a typo in the version leaves no pending rollout under this id.
        if (await GrainFactory.GetGrain<IModelGrain>(spec.ModelId).GetVersion(spec.Version) is null)
        {
            throw new ModelVersionNotFoundException(spec.ModelId, spec.Version);
        }
        S.Spec = StoredForms.Of(spec);
        S.State = RolloutState.Pending;
        await SaveAsync();
        return View();
    }

    public async Task<RolloutView> Start()
    {
        var spec = S.Spec ?? throw new RolloutNotFoundException(RolloutId);
        if (S.State != RolloutState.Pending)
        {
            return View();
        }
        // The ladder is fetched once and handed to every device, so planning does not hammer the model grain.
        S.Ladder = await GrainFactory.GetGrain<IModelGrain>(spec.ModelId).GetLadder(spec.Version);
        var targets = await GrainFactory.GetGrain<IFleetQueryGrain>(0).Select(spec.Selector);
        S.Targets = [.. targets];
        S.WaveEnds = [.. WavePlan.Ends(spec.Waves, targets.Count)];
        S.State = RolloutState.Running;
        S.BudgetTokens = Budget ?? 0;
        S.BudgetRefilledAt = clock.UtcNow;
        _reconciled = true;
        _dirty = true;
        if (targets.Count == 0)
        {
            S.State = RolloutState.Completed;
            S.Reason = "no device matched the selector";
            await SaveAsync();
            return View();
        }
        await this.RegisterOrUpdateReminder(ReminderName, _options.ReminderPeriod, _options.ReminderPeriod);
        StartTimer();
        return await Tick();
    }

    public async Task<RolloutView> Pause(string reason)
    {
        if (S.State == RolloutState.Running)
        {
            S.State = RolloutState.Paused;
            S.Reason = $"paused: {reason}";
            await SaveAsync();
        }
        return View();
    }

    public async Task<RolloutView> Resume()
    {
        if (S.State == RolloutState.Paused)
        {
            // Resuming a rollout paused on a short wave is the operator's decision to accept that wave.
            if (Wave(S.CurrentWave) is { Settled: true } wave && S.Spec is { } spec && !wave.MetSuccess(spec.SuccessThreshold))
            {
                S.AcceptedShortWave = S.CurrentWave;
            }
            S.State = RolloutState.Running;
            S.Reason = null;
            S.BudgetRefilledAt = clock.UtcNow;
            _dirty = true;
            StartTimer();
            return await Tick();
        }
        return View();
    }

    public async Task<RolloutView> Abort(string reason)
    {
        if (S.State is RolloutState.Pending or RolloutState.Running or RolloutState.Paused)
        {
            S.State = RolloutState.Aborted;
            S.Reason = $"aborted: {reason}";
            await StopDrivingAsync();
            await SaveAsync();
        }
        return View();
    }

    public async Task<RolloutView> RollBack(string reason)
    {
        // Devices still marked as this rollout's are the ones not asked yet, or whose rollback call did not arrive:
        // rolling back again retries exactly those.
        var pending = S.Devices.Where(d => d.Value is DeviceRolloutStatus.Dispatched or DeviceRolloutStatus.Succeeded or DeviceRolloutStatus.Failed)
            .Select(d => d.Key).ToList();
        if (S.Spec is null || S.State is RolloutState.Pending || (S.State is RolloutState.RolledBack && pending.Count == 0))
        {
            return View();
        }
        var unreachable = 0;
        foreach (var batch in pending.Chunk(_options.DispatchBatchSize))
        {
            var results = await Task.WhenAll(batch.Select(RollBackDeviceAsync));
            for (var i = 0; i < batch.Length; i++)
            {
                switch (results[i])
                {
                    case null:
                        unreachable++;
                        break;
                    case { Desired: not null }:
                        S.Devices[batch[i]] = DeviceRolloutStatus.RolledBack;
                        break;
                    case { SkipReason: var why }:
                        S.Devices[batch[i]] = DeviceRolloutStatus.RollbackSkipped;
                        var key = why ?? "no reason given";
                        S.RollbackSkips[key] = S.RollbackSkips.GetValueOrDefault(key) + 1;
                        break;
                }
            }
        }
        S.State = RolloutState.RolledBack;
        S.Reason = $"rolled back: {reason}; {RollbackSummary(unreachable)}";
        S.Hold = null;
        await StopDrivingAsync();
        await SaveAsync();
        return View();
    }

    public async Task<RolloutView> Tick()
    {
        if (S.State != RolloutState.Running || S.Spec is not { } spec)
        {
            return View();
        }
        if (!_reconciled)
        {
            await ReconcileAsync();
        }
        RefillBudget();
        while (S.State == RolloutState.Running && S.CurrentWave < S.WaveEnds.Count)
        {
            if (ApplyFailureThreshold(spec))
            {
                break;
            }
            var dispatchHold = await DispatchAsync(spec);
            if (ApplyFailureThreshold(spec))
            {
                break;
            }
            var wave = Wave(S.CurrentWave);
            // A wave whose devices are not all assigned yet (budget, slice, unreachable devices) never advances, even
            // past its success threshold: the rest of it would otherwise ride along with the next wave, or be left out.
            if (dispatchHold is not null || (!wave.MetSuccess(spec.SuccessThreshold) && S.AcceptedShortWave != S.CurrentWave))
            {
                S.Hold = dispatchHold;
                if (wave.Settled && dispatchHold is null)
                {
                    // Every device has answered and the wave still falls short: waiting cannot help, so ask the operator.
                    S.State = RolloutState.Paused;
                    S.Reason = $"paused: wave {S.CurrentWave + 1} finished with {wave.Succeeded} of {wave.Eligible} devices updated, below the "
                        + $"{spec.SuccessThreshold:P0} success threshold; resume to continue past it, or roll back";
                    _dirty = true;
                }
                break;
            }
            if (S.WaveSucceededAt is null)
            {
                S.WaveSucceededAt = clock.UtcNow;
                _dirty = true;
            }
            var hold = await HealthHoldAsync(spec);
            S.Hold = hold;
            if (hold is not null)
            {
                break;
            }
            S.CurrentWave++;
            S.WaveSucceededAt = null;
            _dirty = true;
            if (S.CurrentWave == S.WaveEnds.Count)
            {
                S.State = RolloutState.Completed;
                S.Reason = S.AcceptedShortWave is { } accepted
                    ? $"completed; wave {accepted + 1} was accepted below its success threshold by the operator"
                    : "every wave met its success threshold";
                await StopDrivingAsync();
            }
        }
        // The timer ticks every second: rewriting a large rollout's state when nothing durable changed would cost a
        // full state write per tick. Hold texts and the budget bucket are recomputed on the next tick, so they do not count.
        if (_dirty)
        {
            await SaveAsync();
        }
        return View();
    }

    public Task<RolloutView> GetView() => Task.FromResult(View());

    public Task ReportDeviceOutcome(string deviceId, bool succeeded, string? error)
    {
        if (S.State is RolloutState.RolledBack || !S.Devices.TryGetValue(deviceId, out var status) || status != DeviceRolloutStatus.Dispatched)
        {
            return Task.CompletedTask; // unknown device, repeated report, or a report about a rollback
        }
        S.Devices[deviceId] = succeeded ? DeviceRolloutStatus.Succeeded : DeviceRolloutStatus.Failed;
        if (!succeeded)
        {
            logger.LogInformation("device {Device} failed update in {Rollout}: {Error}", deviceId, RolloutId, error);
        }
        _dirty = true;
        // A running rollout's timer writes the count within a tick; a paused, completed or aborted one has no timer, so
        // a late outcome is written now instead of waiting for a deactivation that a crash never runs.
        if (S.State != RolloutState.Running || (S.Spec is { } spec && ApplyFailureThreshold(spec)))
        {
            return SaveAsync();
        }
        return Task.CompletedTask;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (S.State is RolloutState.Running or RolloutState.Paused)
        {
            // Outcomes are one-way calls: one sent while this rollout moved between silos can be lost. Re-asking the
            // still-dispatched devices once per reminder period recovers it instead of waiting on that device forever.
            _reconciled = false;
            StartTimer();
            await Tick();
            return;
        }
        await StopDrivingAsync();
    }

    private long? Budget => S.Spec?.BandwidthBytesPerMinute is > 0 ? S.Spec.BandwidthBytesPerMinute
        : _options.DefaultBandwidthBytesPerMinute > 0 ? _options.DefaultBandwidthBytesPerMinute : null;

    private void RefillBudget()
    {
        var now = clock.UtcNow;
        if (Budget is { } budget)
        {
            var minutes = Math.Max(0, (now - S.BudgetRefilledAt).TotalMinutes);
            S.BudgetTokens = Math.Min(budget, S.BudgetTokens + budget * minutes);
        }
        S.BudgetRefilledAt = now;
    }

    /// <summary>
    /// Dispatches the current wave's waiting devices, in batches, while the bandwidth budget and the dispatch slice
    /// allow; returns the hold reason when either stopped it.
    /// </summary>
    private async Task<string?> DispatchAsync(RolloutSpec spec)
    {
        var end = S.WaveEnds[S.CurrentWave];
        var waveStart = S.CurrentWave == 0 ? 0 : S.WaveEnds[S.CurrentWave - 1];
        var slice = Stopwatch.StartNew();
        var batches = 0;
        while (S.NextDispatch < end)
        {
            // At least one batch per call, so a slice shorter than a batch still makes progress.
            if (batches > 0 && slice.Elapsed > _options.DispatchSlice)
            {
                return $"dispatching: {S.NextDispatch - waveStart} of this wave's {end - waveStart} devices assigned so far";
            }
            var size = Math.Min(_options.DispatchBatchSize, end - S.NextDispatch);
            if (Budget is { } budget)
            {
                // Dispatch only what the bucket can pay for at the average planned size so far (one device to learn it).
                var planned = S.Devices.Count(d => d.Value is not (DeviceRolloutStatus.Unfit or DeviceRolloutStatus.Failed));
                var average = planned == 0 ? 0 : (double)S.PlannedBytes / planned;
                var needed = Math.Min(average, budget);
                if (S.BudgetTokens <= 0 || S.BudgetTokens < needed)
                {
                    return $"bandwidth budget: {S.NextDispatch - waveStart} of this wave's devices dispatched, waiting for the next minute's bytes";
                }
                size = average <= 0 ? 1 : (int)Math.Clamp(Math.Floor(S.BudgetTokens / average), 1, size);
            }
            // A batch retried after unreachable devices assigns only those still waiting, so bytes are counted once.
            var waiting = S.Targets.GetRange(S.NextDispatch, size).Where(id => !S.Devices.ContainsKey(id)).ToList();
            var assignment = new ModelAssignment(spec.ModelId, spec.Version, spec.Policy, RolloutId, S.Ladder);
            var results = await Task.WhenAll(waiting.Select(id => AssignAsync(id, assignment)));
            var unreachable = new List<string>();
            for (var i = 0; i < waiting.Count; i++)
            {
                if (results[i] is not { } result)
                {
                    unreachable.Add(waiting[i]);
                    continue;
                }
                S.Devices[waiting[i]] = result.Status;
                S.PlannedBytes += result.Bytes;
                S.BudgetTokens -= result.Bytes;
            }
            batches++;
            _dirty = true;
            if (unreachable.Count > 0)
            {
                S.UnreachableSince ??= clock.UtcNow;
                if (clock.UtcNow - S.UnreachableSince < _options.UnreachableGrace)
                {
                    return $"cluster: {unreachable.Count} devices could not be reached since {S.UnreachableSince:u}; retrying on the next tick";
                }
                foreach (var id in unreachable)
                {
                    S.Devices[id] = DeviceRolloutStatus.Failed;
                }
            }
            S.UnreachableSince = null;
            S.NextDispatch += size;
        }
        return null;
    }

    /// <summary>The device's answer, or null when the cluster could not deliver the call (retried later).</summary>
    private async Task<(DeviceRolloutStatus Status, long Bytes)?> AssignAsync(string deviceId, ModelAssignment assignment)
    {
        try
        {
            var result = await GrainFactory.GetGrain<IDeviceGrain>(deviceId).Assign(assignment);
            if (result.AlreadyCurrent)
            {
                return (DeviceRolloutStatus.Succeeded, 0);
            }
            return result.Desired is { } desired ? (DeviceRolloutStatus.Dispatched, desired.TransferBytes) : (DeviceRolloutStatus.Unfit, 0);
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException or OperationCanceledException)
        {
            logger.LogInformation("assigning {Device} in {Rollout} did not reach the device: {Error}", deviceId, RolloutId, ex.Message);
            return null;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "assigning {Device} in {Rollout} failed", deviceId, RolloutId);
            return (DeviceRolloutStatus.Failed, 0);
        }
    }

    /// <summary>Pauses or aborts when the current wave's failures exceed the threshold; true when it did.</summary>
    private bool ApplyFailureThreshold(RolloutSpec spec)
    {
        var wave = Wave(S.CurrentWave);
        if (wave.Eligible == 0 || (double)wave.Failed / wave.Eligible <= spec.FailureThreshold)
        {
            return false;
        }
        var reason = $"wave {S.CurrentWave + 1}: {wave.Failed} of {wave.Eligible} devices failed (threshold {spec.FailureThreshold:P0})";
        S.State = spec.OnFailure == FailureAction.Abort ? RolloutState.Aborted : RolloutState.Paused;
        S.Reason = (spec.OnFailure == FailureAction.Abort ? "aborted: " : "paused: ") + reason;
        _dirty = true;
        return true;
    }

    /// <summary>Null when the wave may advance, else why it is held (soak time or canary regression).</summary>
    private async Task<string?> HealthHoldAsync(RolloutSpec spec)
    {
        if (spec.Health is not { } gate)
        {
            return null;
        }
        var soaked = clock.UtcNow - S.WaveSucceededAt!.Value;
        if (soaked < gate.MinimumSoak)
        {
            return $"soaking: {soaked.TotalMinutes:0.#} of {gate.MinimumSoak.TotalMinutes:0.#} minutes";
        }
        if (gate.MaxLatencyRegression is null && gate.MaxConfidenceDrop is null)
        {
            return null;
        }
        var waveStart = S.CurrentWave == 0 ? 0 : S.WaveEnds[S.CurrentWave - 1];
        var canaryIds = S.Targets.Skip(waveStart).Take(S.WaveEnds[S.CurrentWave] - waveStart)
            .Where(id => S.Devices.GetValueOrDefault(id) == DeviceRolloutStatus.Succeeded).Take(HealthSampleSize).ToList();
        var baselineIds = S.Targets.Skip(S.NextDispatch).Take(HealthSampleSize).ToList();
        var canary = await SampleAsync(canaryIds);
        if (baselineIds.Count > 0)
        {
            var fresh = await SampleAsync(baselineIds);
            if (fresh.Devices > 0 && fresh != S.Baseline)
            {
                S.Baseline = fresh;
                _dirty = true;
            }
        }
        return HealthCheck.Hold(gate, canary, S.Baseline);
    }

    private async Task<HealthSample> SampleAsync(IReadOnlyList<string> deviceIds)
    {
        var telemetry = await Task.WhenAll(deviceIds.Select(TelemetryOrEmptyAsync));
        var withData = telemetry.Where(t => t.Reports > 0).ToList();
        var latencies = withData.Where(t => t.LatencyP95Ms is not null).Select(t => t.LatencyP95Ms!.Value).ToList();
        var confidences = withData.Where(t => t.MeanTop1Confidence is not null).Select(t => t.MeanTop1Confidence!.Value).ToList();
        return new HealthSample(withData.Count,
            latencies.Count == 0 ? null : latencies.Average(),
            confidences.Count == 0 ? null : confidences.Average());
    }

    /// <summary>One device's telemetry; a device that cannot answer counts as one without data, so the gate judges the rest.</summary>
    private async Task<TelemetryAggregates> TelemetryOrEmptyAsync(string deviceId)
    {
        try
        {
            return await GrainFactory.GetGrain<IDeviceGrain>(deviceId).GetTelemetry();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("telemetry of {Device} for the health gate of {Rollout} failed: {Error}", deviceId, RolloutId, ex.Message);
            return TelemetryAggregates.Empty;
        }
    }

    /// <summary>The device's answer, or null when the call failed (the device stays this rollout's, so a later rollback retries it).</summary>
    private async Task<DeviceRollback?> RollBackDeviceAsync(string deviceId)
    {
        try
        {
            var result = await GrainFactory.GetGrain<IDeviceGrain>(deviceId).RollBack(RolloutId);
            if (result.SkipReason is { } why)
            {
                logger.LogInformation("rollback of {Rollout} left {Device} alone: {Reason}", RolloutId, deviceId, why);
            }
            return result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "rollback of {Device} in {Rollout} failed", deviceId, RolloutId);
            return null;
        }
    }

    /// <summary>"2 devices rolled back; 1 skipped (moved on to rollout 'b' (m 3): 1)", plus the unreachable ones, if any.</summary>
    private string RollbackSummary(int unreachable)
    {
        var rolledBack = S.Devices.Count(d => d.Value == DeviceRolloutStatus.RolledBack);
        var summary = $"{rolledBack} devices rolled back";
        if (S.RollbackSkips.Count > 0)
        {
            summary += $"; {S.RollbackSkips.Values.Sum()} skipped ({string.Join(", ", S.RollbackSkips.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}: {s.Value}"))})";
        }
        if (unreachable > 0)
        {
            summary += $"; {unreachable} could not be reached: roll back again to retry them";
        }
        return summary;
    }

    /// <summary>After a restart, outcome reports that arrived after the last write are recovered from the devices.</summary>
    private async Task ReconcileAsync()
    {
        var dispatched = S.Devices.Where(d => d.Value == DeviceRolloutStatus.Dispatched).Select(d => d.Key).ToList();
        foreach (var batch in dispatched.Chunk(_options.DispatchBatchSize))
        {
            var statuses = await Task.WhenAll(batch.Select(id => GrainFactory.GetGrain<IDeviceGrain>(id).GetRolloutStatus(RolloutId)));
            for (var i = 0; i < batch.Length; i++)
            {
                if (statuses[i] is DeviceRolloutStatus.Succeeded or DeviceRolloutStatus.Failed)
                {
                    S.Devices[batch[i]] = statuses[i];
                    _dirty = true;
                }
            }
        }
        _reconciled = true;
    }

    private WaveCounts Wave(int index)
    {
        var start = index == 0 ? 0 : S.WaveEnds[index - 1];
        var end = S.WaveEnds[index];
        var counts = new WaveCounts();
        for (var i = start; i < end; i++)
        {
            counts.Add(S.Devices.TryGetValue(S.Targets[i], out var status) ? status : DeviceRolloutStatus.Waiting);
        }
        return counts;
    }

    private RolloutView View()
    {
        var counts = Enum.GetValues<DeviceRolloutStatus>().ToDictionary(s => s, _ => 0);
        foreach (var status in S.Devices.Values)
        {
            counts[status]++;
        }
        counts[DeviceRolloutStatus.Waiting] = S.Targets.Count - S.Devices.Count;
        return new RolloutView(RolloutId, S.Spec, S.State, S.Reason, S.CurrentWave, S.WaveEnds.Count, S.Targets.Count, counts, S.PlannedBytes, S.Hold);
    }

    private void StartTimer()
    {
        _timer ??= this.RegisterGrainTimer(async () => await Tick(), new GrainTimerCreationOptions(_options.TickPeriod, _options.TickPeriod) { KeepAlive = true });
    }

    private async Task StopDrivingAsync()
    {
        _timer?.Dispose();
        _timer = null;
        if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private async Task SaveAsync()
    {
        await state.WriteStateAsync();
        _dirty = false;
    }
}
