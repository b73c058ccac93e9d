using System.Numerics.Tensors;

namespace FleetQuant.Compression.Training.Graph;

/// <summary>A loss on a batch of logits [batch, classes] for the training samples at the given indices.</summary>
public interface ITrainingLoss
{
    /// <summary>Writes d(mean loss)/d logits into <paramref name="gradient"/> and returns the batch's summed loss.</summary>
    double Compute(GraphTensor logits, ReadOnlySpan<int> indices, float[] gradient);
}

/// <summary>Softmax cross-entropy on integer class labels.</summary>
public sealed class SoftmaxCrossEntropyLoss(int[] labels) : ITrainingLoss
{
    public double Compute(GraphTensor logits, ReadOnlySpan<int> indices, float[] gradient)
    {
        var (batch, classes) = LossShapes.Rows(logits, indices.Length);
        double loss = 0;
        for (var b = 0; b < batch; b++)
        {
            var label = labels[indices[b]];
            if ((uint)label >= (uint)classes)
            {
                throw new ArgumentException($"label {label} of sample {indices[b]} is outside [0, {classes})");
            }
            var row = gradient.AsSpan(b * classes, classes);
            var logSumExp = LossShapes.Softmax(logits.Data.AsSpan(b * classes, classes), 1f, row);
            loss += logSumExp - logits.Data[b * classes + label];
            row[label] -= 1f;
            TensorPrimitives.Multiply(row, 1f / batch, row);
        }
        return loss;
    }
}

/// <summary>
/// Hinton's distillation loss: KL(teacher ‖ student) between the softmaxes of teacher and student logits at
/// temperature T, scaled by T² so its gradients keep their size as T changes. <paramref name="teacherLogits"/>
/// holds <paramref name="classes"/> logits per training sample, in sample order.
/// </summary>
public sealed class DistillationLoss(float[] teacherLogits, int classes, float temperature) : ITrainingLoss
{
    public float Temperature { get; } = temperature > 0 && float.IsFinite(temperature) ? temperature : throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be positive");

    public double Compute(GraphTensor logits, ReadOnlySpan<int> indices, float[] gradient)
    {
        var (batch, width) = LossShapes.Rows(logits, indices.Length);
        if (width != classes)
        {
            throw new ArgumentException($"the student gives {width} logits, the teacher {classes}");
        }
        var t = Temperature;
        var teacher = new float[classes];
        double loss = 0;
        for (var b = 0; b < batch; b++)
        {
            var student = gradient.AsSpan(b * classes, classes);
            var studentLogSum = LossShapes.Softmax(logits.Data.AsSpan(b * classes, classes), t, student);
            var teacherLogSum = LossShapes.Softmax(teacherLogits.AsSpan(indices[b] * classes, classes), t, teacher);
            double kl = 0;
            for (var c = 0; c < classes; c++)
            {
                if (teacher[c] > 0f)
                {
                    // log q − log p with log p = s/T − logΣ, computed from logits to stay finite.
                    var logQ = teacherLogits[indices[b] * classes + c] / t - teacherLogSum;
                    var logP = logits.Data[b * classes + c] / t - studentLogSum;
                    kl += teacher[c] * (logQ - logP);
                }
            }
            loss += t * t * kl;
            // d(T² KL)/ds = T (p − q), averaged over the batch.
            TensorPrimitives.Subtract(student, teacher, student);
            TensorPrimitives.Multiply(student, t / batch, student);
        }
        return loss;
    }
}

internal static class LossShapes
{
    public static (int Batch, int Classes) Rows(GraphTensor logits, int batch)
    {
        if (logits.Rank < 1 || logits.Shape[0] != batch || batch == 0)
        {
            throw new ArgumentException($"logits {logits.DescribeShape()} do not hold {batch} samples");
        }
        return (batch, logits.Length / batch);
    }

    /// <summary>softmax(row / T) into <paramref name="probabilities"/>; returns log Σ exp(row / T).</summary>
    public static double Softmax(ReadOnlySpan<float> row, float temperature, Span<float> probabilities)
    {
        TensorPrimitives.Divide(row, temperature, probabilities);
        var max = TensorPrimitives.Max(probabilities);
        TensorPrimitives.Subtract(probabilities, max, probabilities);
        TensorPrimitives.Exp(probabilities, probabilities);
        var sum = TensorPrimitives.Sum(probabilities);
        TensorPrimitives.Divide(probabilities, sum, probabilities);
        return max + Math.Log(sum);
    }
}
