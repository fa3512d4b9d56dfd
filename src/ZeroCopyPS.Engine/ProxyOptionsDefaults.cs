namespace ZeroCopyPS.Engine;

/// <summary>Defaults that documentation and the cmdlet layer quote.</summary>
public static class ProxyOptionsDefaults
{
    /// <summary>
    /// 16 KiB: an interactive protocol's message rarely fills a 16 KiB read, while a bulk stream on
    /// loopback or a LAN returns 64 KiB reads at once. Splice costs two syscalls per chunk, so it only
    /// pays once chunks are large.
    /// </summary>
    public const int AutoSpliceThresholdBytes = 16 * 1024;

    /// <summary>
    /// 1 MiB: the largest pipe a bulk direction grows to. A 1 MiB pipe moves a bulk stream in a sixteenth of
    /// the splice calls of the kernel's 64 KiB default (docs/ARCHITECTURE.md, "Adaptive pipes"), and it is the
    /// kernel's default pipe-max-size, so an unprivileged proxy gets it everywhere.
    /// </summary>
    public const int PipeSizeBytes = 1024 * 1024;

    /// <summary>
    /// 64 MiB of pipe capacity, in use plus idle, over every loop: 64 bulk directions at 1 MiB, or 1,024 at
    /// 64 KiB. It is also the default pipe-user-pages-soft (16,384 pages), past which the kernel gives an
    /// unprivileged user's new pipes one page.
    /// </summary>
    public const long MaxPipeMemoryBytes = 64L * 1024 * 1024;
}
