namespace ZeroCopyPS.Engine;

/// <summary>Why a proxy could not start.</summary>
public enum ProxyStartFailure
{
    InvalidOptions = 0,
    AddressInUse = 1,
    PermissionDenied = 2,
    AddressNotAvailable = 3,
    UnsupportedPlatform = 4,
    ListenFailed = 5,

    /// <summary>Something that is not a socket (a file, directory, FIFO, link) is at a Unix listen path; it is never removed.</summary>
    ListenPathNotASocket = 6,

    /// <summary>The directory of a Unix listen path does not exist.</summary>
    ListenDirectoryNotFound = 7,

    /// <summary>The target is one of the proxy's own listen addresses: every connection would loop back into the proxy.</summary>
    TargetIsListener = 8,
}
