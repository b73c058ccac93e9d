using System.Xml.Linq;
using FleetQuant.Deploy.Tests.Support;

namespace FleetQuant.Deploy.Tests.Layering;

/// <summary>
/// The layering of docs/ARCHITECTURE.md, read from every csproj under src/: what each project may reach through its
/// project references (transitively) and which packages it may use. A new reference that breaks a rule fails here.
/// </summary>
public sealed class ProjectLayeringTests
{
    private static readonly string[] Orleans = ["Microsoft.Orleans."];
    private static readonly string[] Mqtt = ["MQTTnet"];
    private static readonly string[] AspNet = ["Microsoft.AspNetCore.", "OpenTelemetry.Exporter.Prometheus.AspNetCore"];

    private static readonly Lazy<IReadOnlyDictionary<string, Project>> Projects = new(Load);

    [Theory]
    [InlineData("FleetQuant.Compression")]
    [InlineData("FleetQuant.Protocol")]
    public void CoreLibraries_ReachNoOrleansNoMqttNoAspNet(string project)
    {
        AssertNoPackages(project, [.. Orleans, .. Mqtt, .. AspNet]);
    }

    [Theory]
    [InlineData("FleetQuant.Grains")]
    [InlineData("FleetQuant.Grains.Abstractions")]
    public void Grains_ReachNoMqtt(string project)
    {
        AssertNoPackages(project, Mqtt);
    }

    [Fact]
    public void Gateway_IsTheOnlyProjectWhereMqttMeetsOrleans()
    {
        // Direct package references: hosts that compose the Gateway (Silo, Demo) reach both only through it.
        var both = Projects.Value.Values
            .Where(p => p.Packages.Any(n => Matches(n, Mqtt)) && p.Packages.Any(n => Matches(n, Orleans)))
            .Select(p => p.Name);

        Assert.Equal(["FleetQuant.Gateway"], both);
    }

    [Fact]
    public void OperatorCli_ReachesNoServerAndNoDeviceAgent()
    {
        var reached = Reach("FleetQuant.Cli");

        Assert.DoesNotContain(reached, p => p.Name is "FleetQuant.Silo" or "FleetQuant.Gateway" or "FleetQuant.Grains" or "FleetQuant.Grains.Abstractions" or "FleetQuant.DeviceAgent");
        AssertNoPackages("FleetQuant.Cli", [.. Orleans, .. Mqtt, .. AspNet]);
    }

    [Fact]
    public void DeviceAgent_ReachesNoServer()
    {
        Assert.DoesNotContain(Reach("FleetQuant.DeviceAgent"), p => p.Name is "FleetQuant.Silo" or "FleetQuant.Gateway" or "FleetQuant.Grains" or "FleetQuant.Grains.Abstractions");
        AssertNoPackages("FleetQuant.DeviceAgent", [.. Orleans, .. AspNet]);
    }

    [Fact]
    public void EveryProjectUnderSrc_IsInTheSolution()
    {
        var solution = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "FleetQuant.sln"));

        Assert.All(Projects.Value.Values, p => Assert.Contains(Path.GetFileName(p.Path), solution));
    }

    private static void AssertNoPackages(string project, string[] forbidden)
    {
        var offending = Reach(project)
            .SelectMany(p => p.Packages.Where(n => Matches(n, forbidden)).Select(n => $"{n} (via {p.Name})"))
            .ToList();
        Assert.True(offending.Count == 0, $"{project} reaches {string.Join(", ", offending)}");
    }

    /// <summary>The project and everything it reaches through project references.</summary>
    private static IReadOnlyList<Project> Reach(string name)
    {
        var seen = new Dictionary<string, Project>(StringComparer.Ordinal);
        var pending = new Stack<Project>([Projects.Value[name]]);
        while (pending.TryPop(out var project))
        {
            if (seen.TryAdd(project.Name, project))
            {
                foreach (var reference in project.References)
                {
                    pending.Push(Projects.Value[reference]);
                }
            }
        }
        return [.. seen.Values];
    }

    private static bool Matches(string package, string[] prefixes) => prefixes.Any(p => package.StartsWith(p, StringComparison.Ordinal));

    private static IReadOnlyDictionary<string, Project> Load()
    {
        var src = Path.Combine(RepositoryPaths.Root, "src");
        var projects = Directory.EnumerateFiles(src, "*.csproj", SearchOption.AllDirectories).Select(path =>
        {
            var xml = XDocument.Load(path);
            var references = xml.Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
                .ToList();
            var packages = xml.Descendants("PackageReference").Select(r => r.Attribute("Include")!.Value).ToList();
            return new Project(Path.GetFileNameWithoutExtension(path), path, references, packages);
        });
        return projects.ToDictionary(p => p.Name, StringComparer.Ordinal);
    }

    private sealed record Project(string Name, string Path, IReadOnlyList<string> References, IReadOnlyList<string> Packages);
}
