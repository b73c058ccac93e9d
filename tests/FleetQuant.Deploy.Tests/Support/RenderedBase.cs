using k8s;
using k8s.Models;

namespace FleetQuant.Deploy.Tests.Support;

/// <summary>deploy/k8s rendered once per test class and checked against the API schema.</summary>
public sealed class RenderedBase
{
    public RenderedBase()
    {
        Objects = ManifestSchema.Parse(Kustomize.Render(RepositoryPaths.KustomizeBase));
    }

    public IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Objects { get; }

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T Single<T>(string name)
        where T : IKubernetesObject<V1ObjectMeta> =>
        Objects.OfType<T>().SingleOrDefault(o => o.Metadata.Name == name)
            ?? throw new InvalidOperationException($"the rendered base has no {typeof(T).Name} named {name}");

    /// <summary>Pod templates of every workload, with the workload's kind/name.</summary>
    public IEnumerable<(string Workload, V1PodTemplateSpec Template)> PodTemplates() =>
        All<V1Deployment>().Select(d => ($"Deployment/{d.Metadata.Name}", d.Spec.Template))
            .Concat(All<V1StatefulSet>().Select(s => ($"StatefulSet/{s.Metadata.Name}", s.Spec.Template)));
}
