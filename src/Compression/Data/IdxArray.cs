namespace FleetQuant.Compression.Data;

/// <summary>The contents of one IDX file: unsigned bytes laid out row-major under <see cref="Dimensions"/>.</summary>
public sealed record IdxArray(int[] Dimensions, byte[] Values)
{
    /// <summary>The first dimension: how many items (labels or images) the file holds.</summary>
    public int Count => Dimensions[0];

    /// <summary>Bytes per item: the product of every dimension after the first.</summary>
    public int ItemSize => Dimensions.Skip(1).Aggregate(1, (a, d) => a * d);
}
