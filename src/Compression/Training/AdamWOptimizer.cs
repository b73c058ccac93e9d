using System.Numerics;

namespace FleetQuant.Compression.Training;

/// <summary>
/// Adam with decoupled weight decay (AdamW). Decay is applied to weights only, not biases.
/// </summary>
public sealed class AdamWOptimizer(float learningRate, float weightDecay) : IOptimizer
{
    private const float Beta1 = 0.9f;
    private const float Beta2 = 0.999f;
    private const float Epsilon = 1e-8f;

    private readonly Dictionary<float[], (float[] M, float[] V)> _moments = new(ReferenceEqualityComparer.Instance);
    private int _step;

    public float LearningRate { get; set; } = learningRate;

    public float WeightDecay { get; } = weightDecay;

    public void BeginStep() => _step++;

    public void Update(float[] parameters, float[] gradients, bool decay)
    {
        if (!_moments.TryGetValue(parameters, out var moments))
        {
            moments = (new float[parameters.Length], new float[parameters.Length]);
            _moments[parameters] = moments;
        }

        var (m, v) = moments;
        var correction1 = 1f - MathF.Pow(Beta1, _step);
        var correction2 = 1f - MathF.Pow(Beta2, _step);
        var stepSize = LearningRate / correction1;
        var shrink = decay ? 1f - LearningRate * WeightDecay : 1f;
        // One fused pass over the five arrays: the update is bound by memory traffic, not arithmetic.
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= parameters.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var g = new Vector<float>(gradients, i);
                var mi = Beta1 * new Vector<float>(m, i) + (1 - Beta1) * g;
                var vi = Beta2 * new Vector<float>(v, i) + (1 - Beta2) * g * g;
                var p = new Vector<float>(parameters, i) * shrink - stepSize * mi / (Vector.SquareRoot(vi / correction2) + new Vector<float>(Epsilon));
                mi.CopyTo(m, i);
                vi.CopyTo(v, i);
                p.CopyTo(parameters, i);
            }
        }
        for (; i < parameters.Length; i++)
        {
            var g = gradients[i];
            m[i] = Beta1 * m[i] + (1 - Beta1) * g;
            v[i] = Beta2 * v[i] + (1 - Beta2) * g * g;
            parameters[i] = parameters[i] * shrink - stepSize * m[i] / (MathF.Sqrt(v[i] / correction2) + Epsilon);
        }
    }
}
