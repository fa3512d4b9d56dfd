namespace ZeroCopyPS.Engine;

/// <summary>Which implementation drives the sockets.</summary>
public enum EngineKind
{
    /// <summary>Epoll on Linux, Managed elsewhere.</summary>
    Auto = 0,

    /// <summary>The engine's own epoll loops with splice (Linux only).</summary>
    Epoll = 1,

    /// <summary>.NET sockets with async copies: portable, buffered only.</summary>
    Managed = 2,
}
