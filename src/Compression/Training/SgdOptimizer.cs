using System.Numerics.Tensors;

namespace FleetQuant.Compression.Training;

/// <summary>
/// SGD with (heavy-ball) momentum and L2 weight decay added to the gradient, as PyTorch's SGD does:
/// v ← μ·v + (g + λ·w), w ← w − lr·v.
/// </summary>
public sealed class SgdOptimizer(float learningRate, float momentum = 0.9f, float weightDecay = 0f) : IOptimizer
{
    private readonly Dictionary<float[], float[]> _velocity = new(ReferenceEqualityComparer.Instance);

    public float LearningRate { get; set; } = learningRate;

    public float Momentum { get; } = momentum is >= 0f and < 1f ? momentum : throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must lie in [0, 1)");

    public float WeightDecay { get; } = weightDecay;

    public void BeginStep()
    {
    }

    public void Update(float[] parameters, float[] gradients, bool decay)
    {
        if (!_velocity.TryGetValue(parameters, out var velocity))
        {
            velocity = new float[parameters.Length];
            _velocity[parameters] = velocity;
        }
        // v ← μ·v + g + λ·w, then w ← w − lr·v, whole arrays at a time (SIMD).
        TensorPrimitives.MultiplyAdd(velocity, Momentum, gradients, velocity);
        if (decay && WeightDecay != 0f)
        {
            TensorPrimitives.MultiplyAdd(parameters, WeightDecay, velocity, velocity);
        }
        TensorPrimitives.MultiplyAdd(velocity, -LearningRate, parameters, parameters);
    }
}
