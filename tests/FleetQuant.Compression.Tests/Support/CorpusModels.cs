using Microsoft.ML.OnnxRuntime;

namespace FleetQuant.Compression.Tests.Support;

/// <summary>
/// One input a corpus model is run with: a fixed shape, and float values from a seed, one int64 value, or (for
/// text detectors, whose output on noise is all zeros) a synthetic page of dark strokes on a light background.
/// </summary>
public sealed record CorpusInput(string Name, long[] Shape, long? Int64Value = null, bool TextPage = false)
{
    public OrtValue Create(int seed)
    {
        if (Int64Value is { } value)
        {
            return OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(value, (int)Count).ToArray(), Shape);
        }
        if (TextPage)
        {
            return OrtValue.CreateTensorValueFromMemory(Page(), Shape);
        }
        var random = new Random(seed);
        var values = Enumerable.Range(0, (int)Count).Select(_ => (float)(random.NextDouble() * 2 - 1) * 0.5f).ToArray();
        return OrtValue.CreateTensorValueFromMemory(values, Shape);
    }

    private long Count => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Rows of glyph-sized dark bars, in ImageNet-normalized units (about ±2), the same on every channel.</summary>
    private float[] Page()
    {
        var (height, width) = ((int)Shape[^2], (int)Shape[^1]);
        var values = new float[Count];
        for (var i = 0; i < values.Length; i++)
        {
            var (y, x) = (i / width % height, i % width);
            var ink = y % 16 is >= 5 and < 11 && x >= width / 8 && x < width * 7 / 8 && x % 6 < 4;
            values[i] = ink ? -2f : 2f;
        }
        return values;
    }
}

/// <summary>A third-party model of the corpus and the inputs it runs with.</summary>
public sealed record CorpusModel(string FileName, IReadOnlyList<CorpusInput> Inputs)
{
    public override string ToString() => FileName;
}

/// <summary>
/// Finds the third-party models that <c>scripts/fetch-corpus</c> puts in <c>$FLEETQUANT_CORPUS</c>
/// (default <c>~/.cache/fleetquant/corpus</c>). A missing model fails the test: a silent skip would hide that the
/// engine was never exercised on real graphs.
/// </summary>
public static class CorpusModels
{
    public static readonly CorpusModel SileroVadLegacy = new("silero_vad_legacy.onnx",
        [new("input", [1, 512]), new("sr", [], 16000), new("h", [2, 1, 64]), new("c", [2, 1, 64])]);

    public static readonly CorpusModel SileroVadV5 = new("silero_vad_v5.onnx",
        [new("input", [1, 512]), new("state", [2, 1, 128]), new("sr", [], 16000)]);

    public static readonly CorpusModel OcrDetector = new("ch_PP-OCRv4_det_infer.onnx", [new("x", [1, 3, 64, 64], TextPage: true)]);

    public static readonly CorpusModel OcrRecognizer = new("ch_PP-OCRv4_rec_infer.onnx", [new("x", [1, 3, 48, 64])]);

    public static readonly CorpusModel OcrClassifier = new("ch_ppocr_mobile_v2.0_cls_infer.onnx", [new("x", [1, 3, 48, 192])]);

    public static readonly CorpusModel MelSpectrogram = new("melspectrogram.onnx", [new("input", [1, 1280])]);

    public static readonly CorpusModel WakeWordEmbedding = new("embedding_model.onnx", [new("input_1", [1, 76, 32, 1])]);

    public static readonly CorpusModel HeyJarvis = new("hey_jarvis_v0.1.onnx", [new("x.1", [1, 16, 96])]);

    public static readonly CorpusModel ResNet18 = new("ResNet18.onnx", [new("Input247", [1, 3, 224, 224])]);

    public static readonly IReadOnlyList<CorpusModel> All =
    [
        SileroVadLegacy, SileroVadV5, OcrDetector, OcrRecognizer, OcrClassifier, MelSpectrogram, WakeWordEmbedding, HeyJarvis, ResNet18,
    ];

    public static string Directory =>
        Environment.GetEnvironmentVariable("FLEETQUANT_CORPUS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "fleetquant", "corpus");

    public static string PathOf(CorpusModel model)
    {
        var path = Path.Combine(Directory, model.FileName);
        if (!File.Exists(path))
        {
            Assert.Fail($"corpus model {model.FileName} is missing from {Directory}: run scripts/fetch-corpus (or set FLEETQUANT_CORPUS)");
        }
        return path;
    }
}
