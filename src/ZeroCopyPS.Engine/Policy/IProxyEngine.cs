using System.Net;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>What <see cref="ProxyServer"/> needs from an engine (epoll/splice or portable managed).</summary>
internal interface IProxyEngine
{
    IReadOnlyList<EndPoint> BoundEndPoints { get; }

    /// <summary>The listening sockets as bound (for the self-target check of a new target set).</summary>
    IReadOnlyList<Listening.BoundListener> BoundListeners { get; }

    EngineKind Kind { get; }

    ProxyStatus GetStatus(bool isRunning);

    /// <summary>Closes listeners at once, lets open connections finish up to drainTimeout, then closes them. Bounded, idempotent.</summary>
    void Stop(TimeSpan drainTimeout);

    /// <summary>Any thread: a Stop waiting for its drain stops waiting now (the process is ending). Idempotent.</summary>
    void CutDrainShort();
}
