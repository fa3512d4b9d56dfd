namespace ZeroCopyPS.TestSupport;

/// <summary>Which socket family a test uses on one side of the proxy.</summary>
public enum Transport
{
    Tcp4,
    Tcp6,
    Unix,
}
