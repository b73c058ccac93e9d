using FleetQuant.Api.Contracts;
using FleetQuant.Cli.Output;
using Spectre.Console;

namespace FleetQuant.Cli.Operator;

/// <summary>Polls a model version until its ladder is measured, with a spinner on stderr.</summary>
public static class ModelWaiter
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <summary>The version once Ready; a failed analysis or the deadline is an <see cref="OperatorApiException"/>.</summary>
    public static async Task<ModelVersionView> WaitReadyAsync(OperatorClient client, string modelId, string version, TimeSpan timeout,
        CancellationToken cancellationToken, bool quiet = false)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        ModelVersionView? found = null;
        async Task LoopAsync(Action<string> status)
        {
            while (true)
            {
                var model = ApiJson.Read<ModelView>(await client.GetAsync($"/api/models/{Uri.EscapeDataString(modelId)}", cancellationToken));
                found = model.Versions.FirstOrDefault(v => v.Version == version)
                    ?? throw new OperatorApiException($"model '{modelId}' has no version {version}");
                switch (found.Status)
                {
                    case ModelStatus.Ready:
                        return;
                    case ModelStatus.Failed:
                        throw new OperatorApiException($"analysis of {modelId} v{version} failed: {found.FailureReason ?? "no reason given"}");
                }
                if (DateTimeOffset.UtcNow > deadline)
                {
                    throw new OperatorApiException($"the ladder of {modelId} v{version} was not ready within {timeout.TotalSeconds:0} s");
                }
                status($"measuring the ladder of {modelId} v{version}…");
                await Task.Delay(Poll, cancellationToken);
            }
        }

        if (quiet || Console.IsErrorRedirected)
        {
            await LoopAsync(_ => { });
        }
        else
        {
            await Consoles.Progress.Status().StartAsync("uploading…", ctx => LoopAsync(text => ctx.Status(Markup.Escape(text))));
        }
        return found!;
    }
}
