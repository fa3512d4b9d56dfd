namespace ZeroCopyPS.Engine.Measurement;

/// <summary>Where the bytes of an in-process copy measurement come from.</summary>
public enum CopySource
{
    /// <summary>Another loopback socket pair: the article's socket-to-socket benchmark, the proxy's case.</summary>
    Socket,

    /// <summary>A temp file already in the page cache: Go's io.Copy from an *os.File to a connection.</summary>
    File,
}
