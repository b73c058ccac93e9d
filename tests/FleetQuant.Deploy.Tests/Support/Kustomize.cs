using System.Diagnostics;

namespace FleetQuant.Deploy.Tests.Support;

/// <summary>Renders a kustomization with the real <c>kubectl kustomize</c> (scripts/test installs kubectl).</summary>
public static class Kustomize
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static string Render(string directory)
    {
        var start = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The dashboards are shared with the all-in-one setup and live beside deploy/k8s, not below it.
        foreach (var arg in new[] { "kustomize", "--load-restrictor", "LoadRestrictionsNone", directory })
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("kubectl did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("kubectl is not installed; scripts/test installs it (Debian package 'kubectl').", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"kubectl kustomize {directory} did not finish within {Timeout}");
            }
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"kubectl kustomize {directory} failed ({process.ExitCode}): {stderr.Result.Trim()}");
            }
            return stdout.Result;
        }
    }
}
