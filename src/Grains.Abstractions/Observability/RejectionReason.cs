namespace FleetQuant.Grains.Observability;

/// <summary>Why device traffic or a request was refused; the <c>reason</c> label of <c>fleetquant_rejected_total</c>.</summary>
public enum RejectionReason
{
    /// <summary>Wrong or revoked credentials.</summary>
    Auth,

    /// <summary>A publish or subscription outside the device's own topics.</summary>
    Acl,

    /// <summary>A payload that does not parse as the message its topic carries.</summary>
    Malformed,

    /// <summary>A payload over the size limit.</summary>
    TooLarge,

    /// <summary>Traffic over the device's rate limit.</summary>
    RateLimited,

    /// <summary>A connection refused because the broker holds its limit of connections.</summary>
    ConnectionLimit,

    /// <summary>A value outside its documented physical bounds (dropped, the rest of the message kept).</summary>
    OutOfRange,

    /// <summary>A success report for a release whose bytes the device never fetched and did not already hold.</summary>
    UnverifiedSuccess,
}

/// <summary>The Prometheus label of each <see cref="RejectionReason"/>: fixed, lower-case, bounded.</summary>
public static class RejectionReasons
{
    public static string Label(RejectionReason reason) => reason switch
    {
        RejectionReason.Auth => "auth",
        RejectionReason.Acl => "acl",
        RejectionReason.Malformed => "malformed",
        RejectionReason.TooLarge => "too-large",
        RejectionReason.RateLimited => "rate-limited",
        RejectionReason.ConnectionLimit => "connection-limit",
        RejectionReason.OutOfRange => "out-of-range",
        RejectionReason.UnverifiedSuccess => "unverified-success",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };
}
