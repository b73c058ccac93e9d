namespace FleetQuant.Compression.Data;

/// <summary>
/// Copies the first N images and labels of an IDX pair into a new gzip-compressed pair, e.g. the labelled
/// evaluation subset committed under samples/data. The output bytes depend only on the input and N.
/// </summary>
public static class EvalSubset
{
    /// <summary>Writes <c>{prefix}-images-idx3-ubyte.gz</c> and <c>{prefix}-labels-idx1-ubyte.gz</c>; returns the images path.</summary>
    public static string Write(string sourceImagesOrDirectory, int count, string outDirectory, string prefix)
    {
        if (count <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "a subset needs at least one sample");
        }

        var (imagesPath, labelsPath) = EvalSetFile.ResolvePair(sourceImagesOrDirectory);
        var images = IdxFile.Read(imagesPath);
        var labels = IdxFile.Read(labelsPath);
        if (labels.Count != images.Count || labels.Dimensions.Length != 1)
        {
            throw new InvalidDataException($"{labelsPath}: does not label the {images.Count} images of {imagesPath}");
        }

        var n = Math.Min(count, images.Count);
        var imagesOut = Path.Combine(outDirectory, $"{prefix}-images-idx3-ubyte.gz");
        IdxFile.Write(imagesOut, new IdxArray([n, .. images.Dimensions[1..]], images.Values[..(n * images.ItemSize)]));
        IdxFile.Write(Path.Combine(outDirectory, $"{prefix}-labels-idx1-ubyte.gz"), new IdxArray([n], labels.Values[..n]));
        return imagesOut;
    }
}
