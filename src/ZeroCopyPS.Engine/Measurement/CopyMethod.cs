namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// How an in-process measurement moves the bytes: the proxy's <see cref="CopyMode"/> values (same names and
/// numbers), plus Sendfile, which only a file source has. Which methods fit which <see cref="CopySource"/>:
/// <see cref="SocketCopyRunner.Supports"/>.
/// </summary>
public enum CopyMethod
{
    /// <summary>The proxy's default: buffered until a read fills the threshold, then splice. Socket source only.</summary>
    Auto = CopyMode.Auto,

    /// <summary>splice(2) through a pipe: socket → pipe → socket, or file → pipe → socket.</summary>
    Splice = CopyMode.Splice,

    /// <summary>read(2) (pread(2) from a file) into a user-space buffer, write(2) out of it.</summary>
    Buffered = CopyMode.Buffered,

    /// <summary>sendfile(2): file → socket in one call per socket-buffer's worth, what Go's io.Copy does from an *os.File. File source only.</summary>
    Sendfile = 3,
}
