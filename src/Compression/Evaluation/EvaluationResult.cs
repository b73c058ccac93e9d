namespace FleetQuant.Compression.Evaluation;

/// <summary>What a fidelity figure was measured against.</summary>
public enum FidelityReference
{
    /// <summary>A reference model run on the same inputs.</summary>
    Model,

    /// <summary>The outputs recorded with the data (ONNX test-data <c>output_K.pb</c>, <c>.npz</c> <c>reference_*</c>).</summary>
    Recorded,
}

/// <summary>
/// One model measured on one evaluation set: accuracy against labels, or fidelity against a reference (or both), with
/// the memory ONNX Runtime really held and the median single-sample latency.
/// </summary>
public sealed record EvaluationResult(int Samples, double? Accuracy, Fidelity? Fidelity, long RuntimeBytes, double LatencyMs)
{
    public FidelityReference? FidelityAgainst { get; init; }
}
