namespace ZeroCopyPS.Engine.Proxy;

/// <summary>Why a proxy could not start.</summary>
public enum ProxyStartFailure
{
    InvalidOptions = 0,
    AddressInUse = 1,
    PermissionDenied = 2,
    AddressNotAvailable = 3,
    UnsupportedPlatform = 4,
    ListenFailed = 5,
}
