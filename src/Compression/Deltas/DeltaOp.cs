namespace FleetQuant.Compression.Deltas;

/// <summary>How one target tensor is rebuilt.</summary>
internal enum DeltaOp : byte
{
    /// <summary>The target's coded streams travel in the delta as they are.</summary>
    Whole = 0,

    /// <summary>The target's coded streams equal a base tensor's, byte for byte.</summary>
    Copy = 1,

    /// <summary>Symbols are the base tensor's plus coded differences; the result is re-coded as the target table says.</summary>
    Diff = 2,

    /// <summary>
    /// Codes are residuals from re-quantizing a base weight's values with the target's scales and zero points
    /// (which the delta carries first, as held tensors).
    /// </summary>
    Predict = 3,
}
