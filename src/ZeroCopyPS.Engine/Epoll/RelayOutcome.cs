namespace ZeroCopyPS.Engine.Epoll;

/// <summary>Where a direction stands after a run.</summary>
internal enum RelayOutcome
{
    /// <summary>Waiting for the source to become readable or the destination writable.</summary>
    Blocked,

    /// <summary>Used its budget with work left: run again after the other connections had their turn.</summary>
    MoreWork,

    /// <summary>Source reached EOF, every byte was delivered, and the destination's write side is shut.</summary>
    Finished,

    /// <summary>A syscall failed; see <see cref="RelayDirection.FailureErrno"/>.</summary>
    Failed,

    /// <summary>An injected fault holds this direction until <see cref="RelayDirection.FaultWakeMs"/> (docs/ARCHITECTURE.md, "Fault injection").</summary>
    Timed,

    /// <summary>An injected fault demands a reset of the connection; <see cref="RelayDirection.FaultText"/> says which.</summary>
    FaultReset,

    /// <summary>An injected LimitData was reached: this direction delivers what it read, then FIN; the connection closes cleanly.</summary>
    FaultLimit,
}
