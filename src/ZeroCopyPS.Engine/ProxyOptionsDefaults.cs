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
}
