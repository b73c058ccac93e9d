using FleetQuant.Compression.Training.Graph;

namespace FleetQuant.Compression.Tests.Training.Graph;

/// <summary>
/// Compares the graph's reverse-mode gradients with central finite differences of a scalar loss, parameter by
/// parameter. The loss is computed in float64 from the float32 forward pass, so the difference quotient's rounding
/// noise (~1e-5 at step 1e-2) sits far below the tolerance, and any wrong term (a missing factor, a dropped sum,
/// a transposed index) is far above it.
/// </summary>
internal static class GradientCheck
{
    public const double Step = 1e-2;
    public const double Tolerance = 2e-3;

    /// <summary>Checks d(Σ r·Y)/dθ for every parameter θ, with r a fixed random projection of the output.</summary>
    public static void Projection(TrainableGraph graph, string output, bool training = false, int samplesPerParameter = 40)
    {
        var first = graph.Forward(Empty, training, new Random(5)).Value(output);
        var projection = OpCases.Smooth(new Random(99), first.Shape);
        double Loss()
        {
            var y = graph.Forward(Empty, training, new Random(5)).Value(output).Data;
            double sum = 0;
            for (var i = 0; i < y.Length; i++)
            {
                sum += (double)projection[i] * y[i];
            }
            return sum;
        }

        graph.ZeroGradients();
        graph.Backward(graph.Forward(Empty, training, new Random(5)), output, new GraphTensor(first.Shape, projection));
        Compare(graph, Loss, samplesPerParameter);
    }

    /// <summary>Compares each trainable parameter's accumulated gradient with central differences of <paramref name="loss"/>.</summary>
    public static void Compare(TrainableGraph graph, Func<double> loss, int samplesPerParameter, double step = Step, double tolerance = Tolerance)
    {
        var checkedAny = false;
        foreach (var parameter in graph.TrainableParameters)
        {
            var values = parameter.Value;
            var stride = Math.Max(1, values.Length / samplesPerParameter);
            var largest = 0.0;
            for (var i = 0; i < values.Length; i += stride)
            {
                var original = values[i];
                values[i] = (float)(original + step);
                var plus = loss();
                values[i] = (float)(original - step);
                var minus = loss();
                values[i] = original;
                // Divide by the step actually taken in float32, not the one asked for.
                var numeric = (plus - minus) / ((double)(float)(original + step) - (float)(original - step));
                var analytic = parameter.Gradient[i];
                largest = Math.Max(largest, Math.Abs(analytic));
                Assert.True(Math.Abs(analytic - numeric) <= tolerance * Math.Max(1, Math.Abs(numeric)),
                    $"{parameter.Name}[{i}]: analytic {analytic:G6}, finite difference {numeric:G6}");
                checkedAny = true;
            }
            Assert.True(largest > 1e-3, $"{parameter.Name}: every checked gradient is ~0 ({largest:G3}); the check would prove nothing");
        }
        Assert.True(checkedAny, "no trainable parameter was checked");
    }

    private static readonly IReadOnlyDictionary<string, GraphTensor> Empty = new Dictionary<string, GraphTensor>();
}
