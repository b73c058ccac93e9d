using k8s;
using k8s.Models;

namespace FleetQuant.Deploy.Tests.Support;

/// <summary>
/// The <c>required</c> fields of the Kubernetes OpenAPI spec (plus what the API server's validation insists on, such
/// as a container image and a selector that matches the pod template) for the kinds FleetQuant's manifests use.
/// </summary>
public static class RequiredFields
{
    public static IEnumerable<string> Problems(IKubernetesObject<V1ObjectMeta> item)
    {
        var where = $"{item.Kind}/{item.Metadata?.Name}";
        var problems = new List<string>();
        void Require(bool present, string field)
        {
            if (!present)
            {
                problems.Add($"{where}: {field} is required");
            }
        }

        Require(!string.IsNullOrEmpty(item.Metadata?.Name), "metadata.name");
        switch (item)
        {
            case V1Deployment deployment:
                Require(deployment.Spec is not null, "spec");
                CheckWorkload(deployment.Spec?.Selector, deployment.Spec?.Template, [], Require);
                break;
            case V1StatefulSet statefulSet:
                Require(statefulSet.Spec is not null, "spec");
                Require(!string.IsNullOrEmpty(statefulSet.Spec?.ServiceName), "spec.serviceName");
                // Claim templates are volumes too: their names can be mounted.
                var claimNames = (statefulSet.Spec?.VolumeClaimTemplates ?? []).Select(c => c.Metadata?.Name ?? "").ToList();
                CheckWorkload(statefulSet.Spec?.Selector, statefulSet.Spec?.Template, claimNames, Require);
                foreach (var claim in statefulSet.Spec?.VolumeClaimTemplates ?? [])
                {
                    CheckClaim(claim.Spec, $"spec.volumeClaimTemplates[{claim.Metadata?.Name}]", Require);
                }
                break;
            case V1Service service:
                Require(service.Spec?.Ports is { Count: > 0 }, "spec.ports");
                foreach (var port in service.Spec?.Ports ?? [])
                {
                    Require(port.Port is > 0 and <= 65535, $"spec.ports[{port.Name}].port");
                }
                break;
            case V1PersistentVolumeClaim claim:
                CheckClaim(claim.Spec, "spec", Require);
                break;
            case V1Role role:
                foreach (var rule in role.Rules ?? [])
                {
                    Require(rule.Verbs is { Count: > 0 }, "rules[].verbs");
                }
                break;
            case V1RoleBinding binding:
                Require(binding.RoleRef is { ApiGroup: not null, Kind.Length: > 0, Name.Length: > 0 }, "roleRef.apiGroup/kind/name");
                foreach (var subject in binding.Subjects ?? [])
                {
                    Require(!string.IsNullOrEmpty(subject.Kind) && !string.IsNullOrEmpty(subject.Name), "subjects[].kind/name");
                }
                break;
        }
        return problems;
    }

    private static void CheckClaim(V1PersistentVolumeClaimSpec? spec, string path, Action<bool, string> require)
    {
        require(spec?.AccessModes is { Count: > 0 }, $"{path}.accessModes");
        require(spec?.Resources?.Requests?.ContainsKey("storage") == true, $"{path}.resources.requests.storage");
    }

    private static void CheckWorkload(V1LabelSelector? selector, V1PodTemplateSpec? template, IReadOnlyList<string> claimNames, Action<bool, string> require)
    {
        require(selector is not null, "spec.selector");
        require(template?.Spec is not null, "spec.template.spec");
        var labels = template?.Metadata?.Labels ?? new Dictionary<string, string>();
        foreach (var (key, value) in selector?.MatchLabels ?? new Dictionary<string, string>())
        {
            require(labels.TryGetValue(key, out var actual) && actual == value, $"spec.template.metadata.labels[{key}={value}] (the selector must match the template)");
        }

        var pod = template?.Spec;
        require(pod?.Containers is { Count: > 0 }, "spec.template.spec.containers");
        var volumes = (pod?.Volumes ?? []).Select(v => v.Name).ToList();
        require(volumes.All(name => !string.IsNullOrEmpty(name)), "spec.template.spec.volumes[].name");
        volumes.AddRange(claimNames);
        foreach (var volume in pod?.Volumes ?? [])
        {
            foreach (var item in volume.ConfigMap?.Items ?? [])
            {
                require(!string.IsNullOrEmpty(item.Key) && !string.IsNullOrEmpty(item.Path), $"volumes[{volume.Name}].configMap.items[].key/path");
            }
        }
        foreach (var term in pod?.Affinity?.PodAntiAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [])
        {
            require(term.Weight is >= 1 and <= 100 && !string.IsNullOrEmpty(term.PodAffinityTerm?.TopologyKey), "podAntiAffinity weight/topologyKey");
        }

        foreach (var container in pod?.Containers ?? [])
        {
            var at = $"containers[{container.Name}]";
            require(!string.IsNullOrEmpty(container.Name), "containers[].name");
            require(!string.IsNullOrEmpty(container.Image), $"{at}.image");
            foreach (var port in container.Ports ?? [])
            {
                require(port.ContainerPort is > 0 and <= 65535, $"{at}.ports[].containerPort");
            }
            foreach (var env in container.Env ?? [])
            {
                require(!string.IsNullOrEmpty(env.Name), $"{at}.env[].name");
                require(env.ValueFrom?.FieldRef is null || !string.IsNullOrEmpty(env.ValueFrom.FieldRef.FieldPath), $"{at}.env[{env.Name}].valueFrom.fieldRef.fieldPath");
                require(env.ValueFrom?.SecretKeyRef is null || !string.IsNullOrEmpty(env.ValueFrom.SecretKeyRef.Key), $"{at}.env[{env.Name}].valueFrom.secretKeyRef.key");
            }
            foreach (var mount in container.VolumeMounts ?? [])
            {
                require(!string.IsNullOrEmpty(mount.Name) && !string.IsNullOrEmpty(mount.MountPath), $"{at}.volumeMounts[].name/mountPath");
                require(volumes.Contains(mount.Name), $"{at}.volumeMounts[{mount.Name}] names a volume of the pod");
            }
            foreach (var (probe, name) in new[] { (container.ReadinessProbe, "readinessProbe"), (container.LivenessProbe, "livenessProbe"), (container.StartupProbe, "startupProbe") })
            {
                if (probe is not null)
                {
                    require(probe.HttpGet is not null || probe.TcpSocket is not null || probe.Exec is not null || probe.Grpc is not null, $"{at}.{name} handler");
                    require(probe.HttpGet is null || probe.HttpGet.Port is not null, $"{at}.{name}.httpGet.port");
                    require(probe.TcpSocket is null || probe.TcpSocket.Port is not null, $"{at}.{name}.tcpSocket.port");
                }
            }
        }
    }
}
