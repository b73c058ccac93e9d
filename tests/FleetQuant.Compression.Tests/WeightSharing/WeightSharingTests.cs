using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;
using FleetQuant.Compression.Tests.Pruning;
using FleetQuant.Compression.WeightSharing;

namespace FleetQuant.Compression.Tests.WeightSharing;

public sealed class WeightSharingTests
{
    [Theory]
    [InlineData("mlp", 2)]
    [InlineData("mlp", 4)]
    [InlineData("cnn", 4)]
    [InlineData("cnn", 8)]
    public void KMeans_PublishesCodebooks_WhoseValuesTheRunnableModelHolds(string name, int bits)
    {
        var (source, input, shape) = MagnitudePrunerTests.Load(name);

        var compressed = ModelCompressor.Compress(source, Recipe.Parse($"km{bits}"));

        var weights = WeightCatalog.Find(source).Weights;
        Assert.Equal(weights.Select(w => w.Name).Order(), compressed.Encodings.Keys.Order());
        foreach (var weight in weights)
        {
            var book = Assert.IsType<CodebookEncoding>(compressed.Encodings[weight.Name].Encoding);
            Assert.Equal(bits, book.Bits);
            Assert.Equal(1 << bits, book.Centroids.Length);
            var runtime = SavedModelRunner.Floats(compressed.Model, weight.Name);
            Assert.Equal(book.Indices.Select(i => book.Centroids[i]), runtime);
            Assert.True(runtime.Distinct().Count() <= 1 << bits);
        }
        var (values, outputShape) = SavedModelRunner.Run(compressed.Model, input, shape);
        Assert.Equal(SavedModelRunner.Run(source, input, shape).Shape, outputShape);
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    public void OutputError_ShrinksAsIndexBitsGrow(string name)
    {
        var (source, input, shape) = MagnitudePrunerTests.Load(name);
        var expected = SavedModelRunner.Output(source, input, shape);

        var errors = new[] { "km2", "km4", "km8" }
            .Select(id => SavedModelRunner.RelativeError(SavedModelRunner.Output(ModelCompressor.Compress(source, Recipe.Parse(id)).Model, input, shape), expected))
            .ToArray();

        Assert.True(errors[0] > errors[1] && errors[1] > errors[2], $"errors not decreasing: {string.Join(", ", errors)}");
        Assert.True(errors[2] < 0.05, $"km8 error {errors[2]}");
    }

    [Fact]
    public void PrunedZeros_KeepTheirOwnCentroid_AndNothingElseBecomesZero()
    {
        var (source, input, shape) = MagnitudePrunerTests.Load("mlp");
        var pruned = ModelCompressor.Compress(source, Recipe.Parse("p50")).Model;

        var compressed = ModelCompressor.Compress(source, Recipe.Parse("p50+km4"));

        foreach (var weight in WeightCatalog.Find(source).Weights)
        {
            var book = Assert.IsType<CodebookEncoding>(compressed.Encodings[weight.Name].Encoding);
            Assert.Equal(0f, book.Centroids[0]);
            Assert.DoesNotContain(0f, book.Centroids[1..]);
            var before = SavedModelRunner.Floats(pruned, weight.Name);
            var after = SavedModelRunner.Floats(compressed.Model, weight.Name);
            Assert.Equal(before.Select(v => v == 0), after.Select(v => v == 0));
        }
        Assert.All(SavedModelRunner.Output(compressed.Model, input, shape), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Cluster_IsDeterministic_AndBeatsItsEvenlySpacedStart()
    {
        var random = new Random(11);
        var values = Enumerable.Range(0, 20_000).Select(_ => (float)(random.NextDouble() * random.NextDouble() * (random.Next(2) * 2 - 1))).ToArray();

        var first = KMeansCodebook.Cluster(values, 4);
        var second = KMeansCodebook.Cluster(values, 4);

        Assert.Equal(first.Centroids, second.Centroids);
        Assert.Equal(first.Indices, second.Indices);
        Assert.InRange(first.Iterations, 2, KMeansCodebook.MaxIterations);
        var (min, max) = (values.Min(), values.Max());
        var grid = Enumerable.Range(0, 16).Select(j => min + (max - min) * j / 15f).ToArray();
        var linearError = values.Sum(v => grid.Min(g => (v - g) * (double)(v - g)));
        var kmeansError = values.Select((v, i) => (v - first.Centroids[first.Indices[i]]) * (double)(v - first.Centroids[first.Indices[i]])).Sum();
        Assert.True(kmeansError < 0.8 * linearError, $"k-means {kmeansError} vs evenly spaced {linearError}");
        // Each value sits with its nearest centroid.
        Assert.All(values.Select((v, i) => (v, i)), p =>
            Assert.Equal(first.Centroids.Min(c => Math.Abs(p.v - c)), Math.Abs(p.v - first.Centroids[first.Indices[p.i]]), 6));
    }

    [Theory]
    [InlineData(new[] { 0f, 0f, 0f }, new[] { 0f })]
    [InlineData(new[] { 3f, 3f, 3f }, new[] { 3f })]
    [InlineData(new[] { 0f, 5f, 5f }, new[] { 0f, 5f })]
    public void Cluster_HandlesDegenerateTensors(float[] values, float[] centroids)
    {
        var result = KMeansCodebook.Cluster(values, 2);

        Assert.Equal(centroids, result.Centroids);
        Assert.Equal(values, result.Indices.Select(i => result.Centroids[i]));
    }

    [Fact]
    public void Cluster_RejectsNonFiniteValues()
    {
        Assert.Throws<ArgumentException>(() => KMeansCodebook.Cluster(new[] { 1f, float.NaN }, 2));
    }
}
