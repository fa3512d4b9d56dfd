namespace ZeroCopyPS.Engine;

/// <summary>How a relay moves bytes from one socket to the other.</summary>
public enum CopyMode
{
    /// <summary>
    /// Start each direction with the buffered copy and switch it to splice once it streams:
    /// the first read that returns at least <see cref="ProxyOptionsDefaults.AutoSpliceThresholdBytes"/>
    /// bytes. Small request/response traffic stays buffered (one read and one write per message
    /// instead of two splices), bulk transfers go through the kernel.
    /// </summary>
    Auto = 0,

    /// <summary>socket → pipe → socket inside the kernel (Linux only), falling back per connection where it cannot.</summary>
    Splice = 1,

    /// <summary>read(2) into a pooled user-space buffer, write(2) out of it.</summary>
    Buffered = 2,
}
