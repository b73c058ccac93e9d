using FleetQuant.Deploy.Tests.Support;

namespace FleetQuant.Deploy.Tests;

public sealed class ManifestSchemaTests
{
    private const string ValidDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          selector:
            matchLabels: { app: web }
          template:
            metadata:
              labels: { app: web }
            spec:
              containers:
                - name: web
                  image: nginx
        """;

    [Fact]
    public void Parse_ValidDeployment_ReturnsTypedObject()
    {
        var objects = ManifestSchema.Parse(ValidDeployment);

        Assert.IsType<k8s.Models.V1Deployment>(Assert.Single(objects));
    }

    [Theory]
    [InlineData("image: nginx", "image: nginx\n          imagePullPolicyy: Always", "imagePullPolicyy")]
    [InlineData("name: web\n          image", "image", "containers[].name")]
    [InlineData("image: nginx", "image: nginx\n          ports:\n            - containerPort: http", "")]
    [InlineData("apiVersion: apps/v1", "apiVersion: apps/v2", "apps/v2")]
    [InlineData("labels: { app: web }", "labels: { app: other }", "selector must match")]
    public void Parse_InvalidManifest_Throws(string original, string replacement, string expectedInMessage)
    {
        var broken = ValidDeployment.Replace(original, replacement, StringComparison.Ordinal);
        Assert.NotEqual(ValidDeployment, broken);

        var error = Assert.Throws<ManifestSchemaException>(() => ManifestSchema.Parse(broken));

        Assert.Contains(expectedInMessage, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RoleBindingWithoutRoleRef_Throws()
    {
        const string Binding = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata:
              name: b
            subjects:
              - kind: ServiceAccount
                name: sa
            """;

        var error = Assert.Throws<ManifestSchemaException>(() => ManifestSchema.Parse(Binding));

        Assert.Contains("roleRef", error.Message, StringComparison.Ordinal);
    }
}
