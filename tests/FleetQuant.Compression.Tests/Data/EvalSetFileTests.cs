using FleetQuant.Compression.Data;

namespace FleetQuant.Compression.Tests.Data;

public sealed class EvalSetFileTests
{
    [Fact]
    public void Load_CommittedSubset_Has1000LabelledFlatSamples()
    {
        var set = EvalSetFile.Load(SampleData.FindCommittedEvalSet(), [784]);

        Assert.Equal(1000, set.Count);
        Assert.Equal([784L], set.SampleShape);
        Assert.True(set.HasLabels);
        Assert.All(set.Labels!, l => Assert.InRange(l, 0, 9));
        Assert.Equal(10, set.Labels!.Distinct().Count());
        Assert.InRange(set.Data.Min(), 0f, 0f);
        Assert.InRange(set.Data.Max(), 0.99f, 1f);
    }

    [Fact]
    public void Load_Directory_FindsThePairAndReshapes()
    {
        var directory = Path.GetDirectoryName(SampleData.FindCommittedEvalSet())!;

        var set = EvalSetFile.Load(directory, [1, 28, 28]);

        Assert.Equal([1L, 28, 28], set.SampleShape);
        Assert.Equal(784, set.SampleSize);
        Assert.Equal(1000, set.Count);
    }

    [Fact]
    public void Load_WithoutShape_KeepsTheFileShape()
    {
        var set = EvalSetFile.Load(SampleData.FindCommittedEvalSet());

        Assert.Equal([28L, 28], set.SampleShape);
    }

    [Fact]
    public void Load_ShapeOfWrongSize_IsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => EvalSetFile.Load(SampleData.FindCommittedEvalSet(), [3, 32, 32]));
        Assert.Contains("784", error.Message);
    }

    [Fact]
    public void Load_ImagesWithoutLabels_SaysWhichFileIsMissing()
    {
        var dir = Directory.CreateTempSubdirectory("fq-eval").FullName;
        try
        {
            var images = Path.Combine(dir, "x-images-idx3-ubyte.gz");
            IdxFile.Write(images, new IdxArray([1, 2, 2], [0, 64, 128, 255]));

            var error = Assert.Throws<FileNotFoundException>(() => EvalSetFile.Load(dir));
            Assert.Contains("x-labels-idx1-ubyte.gz", error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Load_DirectoryWithTrainAndTest_PrefersTheTestSet()
    {
        var dir = Directory.CreateTempSubdirectory("fq-eval").FullName;
        try
        {
            IdxFile.Write(Path.Combine(dir, "train-images-idx3-ubyte.gz"), new IdxArray([2, 1, 2], [0, 0, 0, 0]));
            IdxFile.Write(Path.Combine(dir, "train-labels-idx1-ubyte.gz"), new IdxArray([2], [0, 0]));
            IdxFile.Write(Path.Combine(dir, "t10k-images-idx3-ubyte"), new IdxArray([1, 1, 2], [0, 255]));
            IdxFile.Write(Path.Combine(dir, "t10k-labels-idx1-ubyte"), new IdxArray([1], [7]));

            var set = EvalSetFile.Load(dir);

            Assert.Equal(1, set.Count);
            Assert.Equal([7], set.Labels!);
            Assert.Equal([0f, 1f], set.Data);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Load_LabelCountMismatch_GivesInvalidData()
    {
        var dir = Directory.CreateTempSubdirectory("fq-eval").FullName;
        try
        {
            IdxFile.Write(Path.Combine(dir, "a-images-idx3-ubyte.gz"), new IdxArray([2, 1, 1], [0, 0]));
            IdxFile.Write(Path.Combine(dir, "a-labels-idx1-ubyte.gz"), new IdxArray([3], [0, 0, 0]));

            Assert.Throws<InvalidDataException>(() => EvalSetFile.Load(Path.Combine(dir, "a-images-idx3-ubyte.gz")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void FindFashionMnistTestSet_PrefersTheInstalledFullTestSet()
    {
        var path = SampleData.FindFashionMnistTestSet();
        var installed = File.Exists(Path.Combine(SampleData.DebianFashionMnistDirectory, "t10k-images-idx3-ubyte.gz"));

        Assert.Equal(installed ? 10000 : 1000, EvalSetFile.Load(path, [784]).Count);
    }
}
