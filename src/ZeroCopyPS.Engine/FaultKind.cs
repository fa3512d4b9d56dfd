namespace ZeroCopyPS.Engine;

/// <summary>
/// What an injected fault does to the directions it applies to (docs/ARCHITECTURE.md, "Fault injection").
/// The kinds follow Toxiproxy's toxics, so a test written against one reads the same against the other.
/// </summary>
public enum FaultKind
{
    /// <summary>Every chunk is held back by <see cref="ProxyFault.Delay"/> ± <see cref="ProxyFault.Jitter"/>; order is kept.</summary>
    Latency = 0,

    /// <summary>Bytes are paced to <see cref="ProxyFault.BytesPerSecond"/>, accurately over seconds.</summary>
    Bandwidth = 1,

    /// <summary>No byte moves; with <see cref="ProxyFault.CloseAfter"/>, the connection is closed then (Toxiproxy's timeout).</summary>
    Stall = 2,

    /// <summary>
    /// The connection is reset (RST both ways) once <see cref="ProxyFault.Bytes"/> have passed or
    /// <see cref="ProxyFault.After"/> has elapsed, whichever comes first; with neither, at once.
    /// </summary>
    ResetAfter = 3,

    /// <summary>A clean close (FIN both ways) once <see cref="ProxyFault.Bytes"/> have passed.</summary>
    LimitData = 4,

    /// <summary>The end of stream (FIN) is held back by <see cref="ProxyFault.Delay"/>.</summary>
    SlowClose = 5,

    /// <summary>
    /// Data is cut into writes of <see cref="ProxyFault.AverageSizeBytes"/> ± <see cref="ProxyFault.SizeVariationBytes"/>,
    /// <see cref="ProxyFault.Delay"/> apart.
    /// </summary>
    Slice = 6,
}
