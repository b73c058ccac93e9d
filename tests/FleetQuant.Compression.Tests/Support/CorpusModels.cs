using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Support;

/// <summary>
/// A third-party model of the corpus and its documented input hints (the flags README and docs/BENCHMARKS.md give it).
/// <see cref="TextPage"/>: a text detector outputs zeros on noise, so it is fed a synthetic page of dark strokes instead.
/// </summary>
public sealed record CorpusModel(string FileName, string[] Shapes, string[]? Values = null, string[]? Ranges = null, bool TextPage = false)
{
    public InputHints Hints => InputHints.Parse(Shapes, Values, Ranges);

    /// <summary>Inputs for <paramref name="count"/> samples: generated from the hints, or the synthetic page.</summary>
    public EvalSet Inputs(byte[] model, int count, int seed)
    {
        if (!TextPage)
        {
            return GeneratedInputs.ForModel(model, Hints, count, seed);
        }
        var shape = Hints.Shapes.Single().Value;
        var page = Page(shape);
        var values = Enumerable.Range(0, count).SelectMany(_ => page).ToArray();
        return new EvalSet([SampleArray.OfFloats(Hints.Shapes.Single().Key, shape, values)]) { Hints = Hints };
    }

    public override string ToString() => FileName;

    /// <summary>Rows of glyph-sized dark bars, in ImageNet-normalized units (about ±2), the same on every channel.</summary>
    private static float[] Page(long[] shape)
    {
        var (height, width) = ((int)shape[^2], (int)shape[^1]);
        var values = new float[shape.Aggregate(1L, (a, d) => a * d)];
        for (var i = 0; i < values.Length; i++)
        {
            var (y, x) = (i / width % height, i % width);
            var ink = y % 16 is >= 5 and < 11 && x >= width / 8 && x < width * 7 / 8 && x % 6 < 4;
            values[i] = ink ? -2f : 2f;
        }
        return values;
    }
}

/// <summary>The third-party models of the corpus (<see cref="CorpusFiles"/>) with their documented hints.</summary>
public static class CorpusModels
{
    public static readonly CorpusModel SileroVadLegacy = new("silero_vad_legacy.onnx",
        ["input=1,512", "h=2,1,64", "c=2,1,64"], ["sr=16000"], ["input=-1,1"]);

    public static readonly CorpusModel SileroVadV5 = new("silero_vad_v5.onnx", ["input=1,512", "state=2,1,128"], ["sr=16000"], ["input=-1,1"]);

    public static readonly CorpusModel OcrDetector = new("ch_PP-OCRv4_det_infer.onnx", ["x=1,3,64,64"], TextPage: true);

    public static readonly CorpusModel OcrRecognizer = new("ch_PP-OCRv4_rec_infer.onnx", ["x=1,3,48,64"]);

    public static readonly CorpusModel OcrClassifier = new("ch_ppocr_mobile_v2.0_cls_infer.onnx", ["x=1,3,48,192"]);

    public static readonly CorpusModel MelSpectrogram = new("melspectrogram.onnx", ["input=1,1280"], Ranges: ["input=-1,1"]);

    public static readonly CorpusModel WakeWordEmbedding = new("embedding_model.onnx", ["input_1=1,76,32,1"]);

    public static readonly CorpusModel HeyJarvis = new("hey_jarvis_v0.1.onnx", []);

    public static readonly CorpusModel ResNet18 = new("ResNet18.onnx", []);

    public static readonly IReadOnlyList<CorpusModel> All =
    [
        SileroVadLegacy, SileroVadV5, OcrDetector, OcrRecognizer, OcrClassifier, MelSpectrogram, WakeWordEmbedding, HeyJarvis, ResNet18,
    ];

    public static CorpusModel Named(string fileName) => All.Single(m => m.FileName == fileName);

    public static string PathOf(CorpusModel model) => CorpusFiles.PathOf(model.FileName);
}
