using System.Runtime.CompilerServices;

namespace FleetQuant.Deploy.Tests.Support;

/// <summary>Finds the checkout from this source file's compile-time path (test binaries may live outside it, FQ_ARTIFACTS).</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string KustomizeBase => Path.Combine(Root, "deploy", "k8s");

    private static string FindRoot([CallerFilePath] string sourceFile = "")
    {
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(sourceFile)!); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FleetQuant.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"no FleetQuant.sln above {sourceFile}");
    }
}
