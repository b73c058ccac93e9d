using System.Reflection;

namespace FleetQuant.Observability.Tests.Support;

/// <summary>Finds files of the repository (deploy/…): the checkout this test assembly was built from.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var root = typeof(RepositoryFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
        if (root is null || !File.Exists(Path.Combine(root, "FleetQuant.sln")))
        {
            throw new DirectoryNotFoundException($"the repository root recorded at build time ({root ?? "none"}) holds no FleetQuant.sln");
        }
        return root;
    }
}
