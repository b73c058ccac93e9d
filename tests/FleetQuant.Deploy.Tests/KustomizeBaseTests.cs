using FleetQuant.Deploy.Tests.Support;
using k8s.Models;
using Orleans.Hosting.Kubernetes;

namespace FleetQuant.Deploy.Tests;

/// <summary>deploy/k8s renders with the real kubectl, fits the API schema, and is wired together consistently.</summary>
[Trait("Category", "Kubectl")]
public sealed class KustomizeBaseTests(RenderedBase rendered) : IClassFixture<RenderedBase>
{
    /// <summary>Created by the operator (docs/OPERATIONS.md, "Running on a cluster"), never committed.</summary>
    private static readonly Dictionary<string, string[]> OperatorSecrets = new()
    {
        ["fleetquant-secrets"] = ["operator-token", "metrics-token", "mqtt-gateway-secret", "manifest-key.pem", "grafana-admin-password"],
        ["fleetquant-mosquitto-passwd"] = ["fleetquant.passwd"],
    };

    [Fact]
    public void Render_ContainsEveryComponent()
    {
        Assert.NotNull(rendered.Single<V1StatefulSet>("fleetquant-silo"));
        Assert.NotNull(rendered.Single<V1StatefulSet>("redis"));
        foreach (var name in new[] { "fleetquant-gateway", "mosquitto", "prometheus", "grafana" })
        {
            Assert.NotNull(rendered.Single<V1Deployment>(name));
        }
        Assert.NotNull(rendered.Single<V1Service>("fleetquant-gateway"));
        Assert.NotNull(rendered.Single<V1Service>("fleetquant-mqtt"));
        Assert.All(rendered.Objects.Where(o => o is not V1Namespace), o => Assert.Equal("fleetquant", o.Metadata.NamespaceProperty));
    }

    [Fact]
    public void Silo_SetsKubernetesHostingEnvironmentFromDownwardApi()
    {
        var template = rendered.Single<V1StatefulSet>("fleetquant-silo").Spec.Template;
        var env = template.Spec.Containers.Single().Env.ToDictionary(e => e.Name);

        Assert.Equal("metadata.name", env[KubernetesHostingOptions.PodNameEnvironmentVariable].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", env[KubernetesHostingOptions.PodNamespaceEnvironmentVariable].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("status.podIP", env[KubernetesHostingOptions.PodIPEnvironmentVariable].ValueFrom.FieldRef.FieldPath);
        foreach (var (variable, label) in new[]
                 {
                     (KubernetesHostingOptions.ServiceIdEnvironmentVariable, KubernetesHostingOptions.ServiceIdLabel),
                     (KubernetesHostingOptions.ClusterIdEnvironmentVariable, KubernetesHostingOptions.ClusterIdLabel),
                 })
        {
            Assert.True(template.Metadata.Labels.ContainsKey(label), $"pod label {label} is missing");
            Assert.Equal($"metadata.labels['{label}']", env[variable].ValueFrom.FieldRef.FieldPath);
        }
        Assert.Equal("Redis", env["FleetQuant__Cluster__Mode"].Value);
        Assert.Equal("true", env["FleetQuant__Cluster__Kubernetes"].Value);
        Assert.Equal($"metadata.labels['{KubernetesHostingOptions.ServiceIdLabel}']", env["FleetQuant__Cluster__ServiceId"].ValueFrom.FieldRef.FieldPath);
    }

    [Fact]
    public void SiloServiceAccount_MayGetListWatchAndPatchPods()
    {
        var silo = rendered.Single<V1StatefulSet>("fleetquant-silo");
        var account = silo.Spec.Template.Spec.ServiceAccountName;
        Assert.NotNull(rendered.Single<V1ServiceAccount>(account));

        var binding = Assert.Single(rendered.All<V1RoleBinding>(), b => b.Subjects.Any(s => s.Kind == "ServiceAccount" && s.Name == account));
        Assert.Equal(silo.Metadata.NamespaceProperty, binding.Subjects.Single().NamespaceProperty);
        Assert.Equal(("rbac.authorization.k8s.io", "Role"), (binding.RoleRef.ApiGroup, binding.RoleRef.Kind));
        var role = rendered.Single<V1Role>(binding.RoleRef.Name);
        var podRule = Assert.Single(role.Rules, r => r.ApiGroups.Contains("") && r.Resources.Contains("pods"));
        Assert.Equal(["get", "list", "patch", "watch"], podRule.Verbs.Order());
    }

    [Fact]
    public void Artifacts_AreOnOneReadWriteManyVolumeMountedAtTheSiloDataDirectory()
    {
        var claim = rendered.Single<V1PersistentVolumeClaim>("fleetquant-artifacts");
        Assert.Contains("ReadWriteMany", claim.Spec.AccessModes);

        var pod = rendered.Single<V1StatefulSet>("fleetquant-silo").Spec.Template.Spec;
        var volume = Assert.Single(pod.Volumes, v => v.PersistentVolumeClaim?.ClaimName == claim.Metadata.Name);
        var container = pod.Containers.Single();
        var mount = Assert.Single(container.VolumeMounts, m => m.Name == volume.Name);
        var env = container.Env.ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal(mount.MountPath, env["FleetQuant__DataDirectory"]);
        Assert.StartsWith(mount.MountPath + "/", env["FleetQuant__Artifacts__Path"], StringComparison.Ordinal);
    }

    [Fact]
    public void EveryService_SelectsPodsThatExposeItsTargetPorts()
    {
        foreach (var service in rendered.All<V1Service>())
        {
            var selected = rendered.PodTemplates()
                .Where(p => service.Spec.Selector.All(s => p.Template.Metadata.Labels.TryGetValue(s.Key, out var v) && v == s.Value))
                .ToList();
            Assert.True(selected.Count > 0, $"Service/{service.Metadata.Name} selects no workload");
            var ports = selected.SelectMany(p => p.Template.Spec.Containers).SelectMany(c => c.Ports ?? []).ToList();
            foreach (var port in service.Spec.Ports)
            {
                var target = port.TargetPort?.Value ?? port.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(ports.Any(p => p.Name == target || p.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture) == target),
                    $"Service/{service.Metadata.Name} port {port.Name} targets {target}, which no selected container exposes");
            }
        }
    }

    [Fact]
    public void EveryReferencedConfigMapClaimAndSecret_Exists()
    {
        var configMaps = rendered.All<V1ConfigMap>().ToDictionary(c => c.Metadata.Name);
        var claims = rendered.All<V1PersistentVolumeClaim>().Select(c => c.Metadata.Name).ToHashSet();
        foreach (var (workload, template) in rendered.PodTemplates())
        {
            foreach (var volume in template.Spec.Volumes ?? [])
            {
                if (volume.ConfigMap is { } configMap)
                {
                    Assert.True(configMaps.TryGetValue(configMap.Name, out var found), $"{workload} mounts missing ConfigMap {configMap.Name}");
                    Assert.All(configMap.Items ?? [], item => Assert.True(found.Data.ContainsKey(item.Key), $"{workload}: ConfigMap {configMap.Name} has no key {item.Key}"));
                }
                if (volume.PersistentVolumeClaim is { } claim)
                {
                    Assert.True(claims.Contains(claim.ClaimName), $"{workload} mounts missing PVC {claim.ClaimName}");
                }
                if (volume.Secret is { } secret)
                {
                    Assert.True(OperatorSecrets.ContainsKey(secret.SecretName), $"{workload} mounts undocumented Secret {secret.SecretName}");
                }
            }
            foreach (var reference in template.Spec.Containers.SelectMany(c => c.Env ?? []).Select(e => e.ValueFrom?.SecretKeyRef).OfType<V1SecretKeySelector>())
            {
                Assert.True(OperatorSecrets.TryGetValue(reference.Name, out var keys) && keys.Contains(reference.Key),
                    $"{workload} reads {reference.Name}/{reference.Key}, which docs/OPERATIONS.md does not tell operators to create");
            }
        }
    }

    [Fact]
    public void OperatorSecrets_AreDocumentedInOperations()
    {
        var operations = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "OPERATIONS.md"));

        foreach (var (secret, keys) in OperatorSecrets)
        {
            Assert.Contains(secret, operations, StringComparison.Ordinal);
            Assert.All(keys, key => Assert.Contains(key, operations, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void GrafanaDashboards_ProvisionEveryDashboardFile()
    {
        var dashboards = rendered.All<V1ConfigMap>().Single(c => c.Metadata.Name.StartsWith("grafana-dashboards-", StringComparison.Ordinal));
        var files = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "deploy", "grafana", "dashboards"), "*.json")
            .Select(Path.GetFileName)
            .Order();

        Assert.Equal(files, dashboards.Data.Keys.Order());
    }

    [Fact]
    public void GrafanaDatasource_HasTheUidEveryDashboardPanelUses()
    {
        var provisioning = rendered.All<V1ConfigMap>().Single(c => c.Metadata.Name.StartsWith("grafana-provisioning-", StringComparison.Ordinal));
        var datasources = provisioning.Data["datasources.yaml"];
        var dashboards = rendered.All<V1ConfigMap>().Single(c => c.Metadata.Name.StartsWith("grafana-dashboards-", StringComparison.Ordinal));

        var used = dashboards.Data.Values.SelectMany(json => DatasourceUids(System.Text.Json.JsonDocument.Parse(json).RootElement)).ToHashSet();

        Assert.NotEmpty(used);
        Assert.All(used, uid => Assert.Contains($"uid: {uid}\n", datasources, StringComparison.Ordinal));
    }

    private static IEnumerable<string> DatasourceUids(System.Text.Json.JsonElement element)
    {
        if (element.ValueKind == System.Text.Json.JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == "datasource" && property.Value.ValueKind == System.Text.Json.JsonValueKind.Object
                    && property.Value.TryGetProperty("uid", out var uid) && uid.GetString() is { } value && !value.StartsWith('$'))
                {
                    yield return value;
                }
                foreach (var nested in DatasourceUids(property.Value))
                {
                    yield return nested;
                }
            }
        }
        else if (element.ValueKind == System.Text.Json.JsonValueKind.Array)
        {
            foreach (var nested in element.EnumerateArray().SelectMany(DatasourceUids))
            {
                yield return nested;
            }
        }
    }
}
