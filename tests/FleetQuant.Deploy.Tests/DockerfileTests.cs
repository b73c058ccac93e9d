using System.Xml.Linq;
using FleetQuant.Deploy.Tests.Support;

namespace FleetQuant.Deploy.Tests;

/// <summary>
/// No Docker engine runs here, so the Dockerfiles are checked by reading: the restore layer copies every project the
/// published one references, and the entry point is the assembly that project builds.
/// </summary>
public sealed class DockerfileTests
{
    public static TheoryData<string, string> Images => new()
    {
        { "silo.Dockerfile", "src/Silo/FleetQuant.Silo.csproj" },
        { "gateway.Dockerfile", "src/Gateway/FleetQuant.Gateway.csproj" },
        { "device-agent.Dockerfile", "src/DeviceAgent/FleetQuant.DeviceAgent.csproj" },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void Dockerfile_CopiesEveryReferencedProjectBeforeRestore(string dockerfile, string project)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "deploy", "docker", dockerfile));
        var restoreAt = text.IndexOf($"RUN dotnet restore {project}", StringComparison.Ordinal);
        Assert.True(restoreAt > 0, $"{dockerfile} does not restore {project}");
        var copied = CopiedSources(text[..restoreAt]);

        foreach (var needed in ProjectClosure(project).Append("Directory.Build.props").Append("Directory.Packages.props"))
        {
            Assert.True(copied.Contains(needed), $"{dockerfile} restores {project} without copying {needed}");
        }
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Dockerfile_EntryPointRunsTheProjectsAssembly(string dockerfile, string project)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "deploy", "docker", dockerfile));
        var xml = XDocument.Load(Path.Combine(RepositoryPaths.Root, project));
        var assembly = xml.Descendants("AssemblyName").SingleOrDefault()?.Value ?? Path.GetFileNameWithoutExtension(project);

        Assert.Contains($"ENTRYPOINT [\"dotnet\", \"{assembly}.dll\"]", text, StringComparison.Ordinal);
        Assert.Contains($"dotnet publish {project}", text, StringComparison.Ordinal);
    }

    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
            {
                continue;
            }
            var directory = Path.GetDirectoryName(current)!;
            foreach (var reference in XDocument.Load(Path.Combine(RepositoryPaths.Root, current)).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', '/');
                pending.Push(Path.GetRelativePath(RepositoryPaths.Root, Path.GetFullPath(Path.Combine(RepositoryPaths.Root, directory, include))).Replace('\\', '/'));
            }
        }
        return seen;
    }

    /// <summary>Source paths of the build-context COPY lines (<c>COPY a b dest/</c>: all tokens but the last).</summary>
    private static HashSet<string> CopiedSources(string dockerfile) =>
        dockerfile.Split('\n')
            .Select(line => line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(tokens => tokens.Length >= 3 && tokens[0] == "COPY" && !tokens[1].StartsWith("--", StringComparison.Ordinal))
            .SelectMany(tokens => tokens[1..^1])
            .ToHashSet(StringComparer.Ordinal);
}
