using k8s;
using k8s.Models;

namespace FleetQuant.Deploy.Tests.Support;

/// <summary>A rendered manifest that does not fit the Kubernetes API schema.</summary>
public sealed class ManifestSchemaException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Offline schema check of rendered manifests. Every document is deserialized strictly into KubernetesClient's API
/// models (generated from the Kubernetes OpenAPI spec): an unknown apiVersion/kind, an unknown field or a value of
/// the wrong type is an error. The models do not carry the spec's <c>required</c> lists, so those are checked
/// explicitly for every kind FleetQuant deploys (<see cref="RequiredFields"/>).
/// </summary>
public static class ManifestSchema
{
    public static IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Parse(string yaml)
    {
        List<object> documents;
        try
        {
            documents = KubernetesYaml.LoadAllFromString(yaml, typeMap: null, strict: true);
        }
        catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or KeyNotFoundException or FormatException)
        {
            var detail = ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message;
            throw new ManifestSchemaException($"manifest does not match the Kubernetes API schema: {detail}", ex);
        }

        var objects = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (var document in documents)
        {
            objects.Add(document as IKubernetesObject<V1ObjectMeta>
                ?? throw new ManifestSchemaException($"{document.GetType().Name} is not a Kubernetes object with metadata"));
        }

        var problems = objects.SelectMany(RequiredFields.Problems).ToList();
        if (problems.Count > 0)
        {
            throw new ManifestSchemaException("manifest misses required fields:\n" + string.Join('\n', problems));
        }
        return objects;
    }
}
