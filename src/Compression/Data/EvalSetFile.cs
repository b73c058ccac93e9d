using FleetQuant.Compression.Evaluation;

namespace FleetQuant.Compression.Data;

/// <summary>
/// Loads a labelled evaluation set from IDX files: either an images file whose labels file sits next to it
/// (<c>…-images-idx3-ubyte[.gz]</c> ↔ <c>…-labels-idx1-ubyte[.gz]</c>), or a directory holding such pairs
/// (the test set, <c>t10k-*</c>, is preferred when there are several). Pixels are scaled to [0, 1].
/// </summary>
public static class EvalSetFile
{
    private const string ImagesMarker = "-images-idx3-ubyte";
    private const string LabelsMarker = "-labels-idx1-ubyte";

    /// <param name="path">An IDX images file or a directory holding an images/labels pair.</param>
    /// <param name="sampleShape">Shape of one sample as the model wants it (e.g. [784] or [1,28,28]); its element
    /// count must equal the image size. Null keeps the file's own shape (e.g. [28,28]).</param>
    public static EvalSet Load(string path, long[]? sampleShape = null)
    {
        var (imagesPath, labelsPath) = ResolvePair(path);
        var images = IdxFile.Read(imagesPath);
        var labels = IdxFile.Read(labelsPath);
        if (images.Dimensions.Length < 2)
        {
            throw new InvalidDataException($"{imagesPath}: expected an images file with at least 2 dimensions, found [{string.Join("x", images.Dimensions)}]");
        }
        if (labels.Dimensions.Length != 1)
        {
            throw new InvalidDataException($"{labelsPath}: expected a 1-dimensional labels file, found [{string.Join("x", labels.Dimensions)}]");
        }
        if (labels.Count != images.Count)
        {
            throw new InvalidDataException($"{labelsPath}: {labels.Count} labels for {images.Count} images in {imagesPath}");
        }

        var fileShape = images.Dimensions.Skip(1).Select(d => (long)d).ToArray();
        var shape = sampleShape ?? fileShape;
        var shapeSize = shape.Aggregate(1L, (a, d) => d <= 0 ? -1 : a * d);
        if (shapeSize != images.ItemSize)
        {
            throw new ArgumentException($"sample shape [{string.Join(",", shape)}] holds {shapeSize} values but the images in {imagesPath} have {images.ItemSize} ([{string.Join(",", fileShape)}])", nameof(sampleShape));
        }

        var pixels = new float[images.Values.Length];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = images.Values[i] / 255f;
        }
        var classes = Array.ConvertAll(labels.Values, v => (int)v);
        return new EvalSet(shape, pixels, classes);
    }

    /// <summary>The images and labels files <paramref name="path"/> names, or throws saying what is missing.</summary>
    public static (string Images, string Labels) ResolvePair(string path)
    {
        if (Directory.Exists(path))
        {
            return PairInDirectory(path);
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"evaluation data not found: {path} (give an IDX images file or a directory holding one)", path);
        }

        var name = Path.GetFileName(path);
        if (!name.Contains(ImagesMarker, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: expected an IDX images file named like '…{ImagesMarker}[.gz]' with its '…{LabelsMarker}[.gz]' next to it");
        }
        return (path, LabelsFor(path));
    }

    private static (string Images, string Labels) PairInDirectory(string directory)
    {
        var candidates = Directory.EnumerateFiles(directory)
            .Where(f => Path.GetFileName(f).Contains(ImagesMarker, StringComparison.Ordinal) && !f.Contains(".tmp-", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (candidates.Count == 0)
        {
            throw new FileNotFoundException($"{directory}: no IDX images file ('…{ImagesMarker}[.gz]') in this directory", directory);
        }

        var chosen = candidates.Count == 1
            ? candidates[0]
            : candidates.FirstOrDefault(IsTestSet)
                ?? throw new InvalidDataException($"{directory}: several IDX image sets ({string.Join(", ", candidates.Select(Path.GetFileName))}) and none is a test set (t10k-*); name the images file instead");
        return (chosen, LabelsFor(chosen));
    }

    private static bool IsTestSet(string path)
    {
        var name = Path.GetFileName(path);
        return name.StartsWith("t10k-", StringComparison.Ordinal) || name.StartsWith("test-", StringComparison.Ordinal) || name.Contains("-eval-", StringComparison.Ordinal);
    }

    private static string LabelsFor(string imagesPath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(imagesPath))!;
        var labelsName = Path.GetFileName(imagesPath).Replace(ImagesMarker, LabelsMarker, StringComparison.Ordinal);
        var exact = Path.Combine(directory, labelsName);
        if (File.Exists(exact))
        {
            return exact;
        }

        // A gzipped images file may sit next to raw labels, and the other way round.
        var alternative = exact.EndsWith(".gz", StringComparison.Ordinal) ? exact[..^3] : exact + ".gz";
        return File.Exists(alternative)
            ? alternative
            : throw new FileNotFoundException($"{imagesPath}: labels file '{labelsName}' is missing next to it", exact);
    }
}
