using FleetQuant.Grains.Artifacts;
using FleetQuant.Grains.Compression;
using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Observability;
using FleetQuant.Grains.Planning;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace FleetQuant.Grains.Models;

/// <summary>
/// Versions of one model. The ladder of a new version is measured in the background by the compression service
/// (restarted after a silo restart if it was still analysing); artifacts and deltas are built on first request.
/// Reentrant so a long build never blocks reads; the compression service deduplicates concurrent builds.
/// </summary>
[Reentrant]
public sealed class ModelGrain(
    [PersistentState("model", StorageNames.Models)] IPersistentState<ModelGrainState> state,
    CompressionService compression,
    IArtifactStore store,
    FleetClock clock,
    ILogger<ModelGrain> logger) : Grain, IModelGrain
{
    private const int MaxVersionLength = 64;
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var record in state.State.Versions.Where(v => v.Status == ModelStatus.Analysing))
        {
            _ = AnalyseAsync(record);
        }
        return Task.CompletedTask;
    }

    public async Task<ModelVersionView> AddVersion(ModelVersionUpload upload)
    {
        // The model id labels fleet metrics: bounded here, where the operator names it.
        if (LabelValue.Problem(this.GetPrimaryKeyString(), "model id") is { } problem)
        {
            throw new InvalidModelUploadException(problem);
        }
        if (string.IsNullOrWhiteSpace(upload.Version) || upload.Version.Length > MaxVersionLength)
        {
            throw new InvalidModelUploadException($"model version must be 1..{MaxVersionLength} characters");
        }
        if (upload.Onnx is not { Length: > 0 })
        {
            throw new InvalidModelUploadException("model version needs its ONNX bytes");
        }
        var sourceHash = ContentHash.Of(upload.Onnx);
        if (Find(upload.Version) is { } existing)
        {
            return existing.Source.Hash == sourceHash
                ? existing.ToView()
                : throw new ModelVersionExistsException(this.GetPrimaryKeyString(), upload.Version);
        }

        var data = await compression.StoreUploadDataAsync(upload);
        await store.PutAsync(upload.Onnx);
        var record = new ModelVersionRecord
        {
            Version = upload.Version,
            Source = new StoredBlob(sourceHash, upload.Onnx.LongLength),
            EvalSetHash = data.EvalSetHash,
            CalibrationSetHash = data.CalibrationSetHash,
            InputHints = data.Hints,
            Status = ModelStatus.Analysing,
            UploadedAt = clock.UtcNow,
        };
        state.State.Versions.Add(record);
        await WriteAsync();
        _ = AnalyseAsync(record);
        return record.ToView();
    }

    public Task<ModelVersionView?> GetVersion(string version) => Task.FromResult(Find(version)?.ToView());

    public Task<ModelView> GetView() =>
        Task.FromResult(new ModelView(this.GetPrimaryKeyString(), state.State.Versions.Select(v => v.ToView()).ToList()));

    public Task<InputHintsInfo> GetInputHints(string version) =>
        Task.FromResult(Find(version)?.InputHints ?? throw new ModelVersionNotFoundException(this.GetPrimaryKeyString(), version));

    public Task<LadderInfo> GetLadder(string version) => Task.FromResult(Ready(version).Ladder!);

    public async Task<StoredBlob> GetArtifact(string version, string recipeId)
    {
        var record = Ready(version);
        if (record.Artifacts.TryGetValue(recipeId, out var cached) && store.Exists(cached.Hash))
        {
            return cached;
        }
        var rung = record.Ladder!.Rungs.FirstOrDefault(r => r.Id == recipeId)
            ?? throw new RecipeNotAvailableException($"recipe '{recipeId}' is not on the ladder of {this.GetPrimaryKeyString()} {version}");
        if (rung.Error is not null)
        {
            throw new RecipeNotAvailableException($"recipe '{recipeId}' failed on {this.GetPrimaryKeyString()} {version}: {rung.Error}");
        }
        var blob = await compression.GetArtifactAsync(record.Source.Hash, rung, record.DataSets());
        record.Artifacts[recipeId] = blob;
        await WriteAsync();
        return blob;
    }

    public async Task<StoredBlob> GetDelta(string baseHash, string targetHash)
    {
        var key = $"{baseHash}→{targetHash}";
        if (state.State.Deltas.TryGetValue(key, out var cached) && store.Exists(cached.Hash))
        {
            return cached;
        }
        var blob = await compression.GetDeltaAsync(baseHash, targetHash);
        state.State.Deltas[key] = blob;
        await WriteAsync();
        return blob;
    }

    private async Task AnalyseAsync(ModelVersionRecord record)
    {
        try
        {
            record.Ladder = await compression.BuildLadderAsync(record.Source.Hash, record.DataSets());
            record.Status = ModelStatus.Ready;
            record.FailureReason = null;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "ladder of {Model} {Version} failed", this.GetPrimaryKeyString(), record.Version);
            record.Status = ModelStatus.Failed;
            record.FailureReason = ex.Message;
        }
        await WriteAsync();
    }

    private ModelVersionRecord? Find(string version) => state.State.Versions.FirstOrDefault(v => v.Version == version);

    private ModelVersionRecord Ready(string version)
    {
        var record = Find(version) ?? throw new ModelVersionNotFoundException(this.GetPrimaryKeyString(), version);
        return record.Status switch
        {
            ModelStatus.Ready => record,
            ModelStatus.Analysing => throw new ModelNotReadyException($"model {this.GetPrimaryKeyString()} {version} is still being analysed; try again when its status is Ready"),
            _ => throw new ModelNotReadyException($"model {this.GetPrimaryKeyString()} {version} failed analysis: {record.FailureReason}"),
        };
    }

    private async Task WriteAsync()
    {
        // Reentrant grain: writes from interleaved calls must not overlap.
        await _writeGate.WaitAsync();
        try
        {
            await state.WriteStateAsync();
        }
        finally
        {
            _writeGate.Release();
        }
    }
}
