namespace FleetQuant.Compression.Training;

/// <summary>
/// A first-order optimizer over float arrays. Call <see cref="BeginStep"/> once per minibatch, then
/// <see cref="Update"/> once per parameter; state is kept per parameter array.
/// </summary>
public interface IOptimizer
{
    float LearningRate { get; set; }

    void BeginStep();

    /// <summary>Moves <paramref name="parameters"/> against <paramref name="gradients"/>; <paramref name="decay"/> applies weight decay.</summary>
    void Update(float[] parameters, float[] gradients, bool decay);
}
