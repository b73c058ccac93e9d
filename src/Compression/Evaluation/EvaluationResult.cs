namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// One model measured on one evaluation set: accuracy against labels, or fidelity against a reference model
/// (or both), with the memory ONNX Runtime really held and the median single-sample latency.
/// </summary>
public sealed record EvaluationResult(int Samples, double? Accuracy, Fidelity? Fidelity, long RuntimeBytes, double LatencyMs);
