namespace ZeroCopyPS.Engine;

/// <summary>
/// The accepted range of every proxy option, written once: <see cref="ProxyOptions.Validate"/> checks
/// them and the cmdlet layer's parameter attributes quote the same constants. Upper bounds keep every
/// wait representable (a .NET wait takes at most int.MaxValue milliseconds, 24.8 days) and refuse values
/// that can only be typing mistakes.
/// </summary>
public static class ProxyOptionLimits
{
    public const int MaxConnectionsMinimum = 1;
    public const int MaxConnectionsMaximum = 1_000_000;

    public const int ListenBacklogMinimum = 1;
    public const int ListenBacklogMaximum = 65_535;

    /// <summary>One hour: the kernel gives up on a SYN long before (about two minutes).</summary>
    public const double ConnectTimeoutMaximumSeconds = 3_600;

    /// <summary>Seven days, for idle and half-close timeouts (zero disables them).</summary>
    public const double InactivityTimeoutMaximumSeconds = 7 * 24 * 3_600;

    /// <summary>One day: a stop that waits longer is a stop that never happens.</summary>
    public const double DrainTimeoutMaximumSeconds = 24 * 3_600;

    /// <summary>One day: longer only hides a moved target.</summary>
    public const double DnsCacheDurationMaximumSeconds = 24 * 3_600;

    public const int PipeSizeBytesMaximum = 256 * 1024 * 1024;

    /// <summary>One pipe of the kernel's default size at least; 64 GiB at most (a typing mistake beyond).</summary>
    public const long MaxPipeMemoryBytesMinimum = 64 * 1024;
    public const long MaxPipeMemoryBytesMaximum = 64L * 1024 * 1024 * 1024;

    public const int MaxPipesMinimum = 1;
    public const int MaxPipesMaximum = 1_000_000;

    public const int BufferSizeBytesMinimum = 1024;
    public const int BufferSizeBytesMaximum = 16 * 1024 * 1024;

    public const int AutoSpliceThresholdBytesMinimum = 1;
    public const int AutoSpliceThresholdBytesMaximum = 16 * 1024 * 1024;

    public const int EventLoopCountMaximum = 256;

    public const int TargetWeightMinimum = 1;
    public const int TargetWeightMaximum = 1_000;
    public const int TargetsMaximum = 256;

    /// <summary>Consecutive connect failures that mark a target down.</summary>
    public const int HealthFailureThresholdMinimum = 1;
    public const int HealthFailureThresholdMaximum = 100;

    /// <summary>One hour, for the health-check interval and the cool-down of a target marked down.</summary>
    public const double HealthIntervalMaximumSeconds = 3_600;

    /// <summary>A minute at most to send a PROXY header: a load balancer sends it at once.</summary>
    public const double ProxyProtocolTimeoutMaximumSeconds = 60;

    public const int ClientRulesMaximum = 10_000;

    /// <summary>Permission bits of a Unix socket file: rwxrwxrwx at most (no setuid, setgid or sticky bit).</summary>
    public const int UnixSocketModeMaximum = 0b111_111_111; // 0777

    /// <summary>
    /// A hand-over socket path is bound as a temporary name beside it (the path plus ".PID.tmp", at most 16
    /// bytes more) and renamed over it; both must fit sockaddr_un's 107 bytes.
    /// </summary>
    public const int HandOverPathBytesMaximum = 90;

    /// <summary>Faults on one proxy at a time: a validation script needs a handful, more is a runaway loop.</summary>
    public const int FaultsMaximum = 64;

    public const int FaultNameLengthMaximum = 128;

    /// <summary>One day, for every time of a fault (Delay, Jitter, CloseAfter, After).</summary>
    public const double FaultTimeMaximumSeconds = 24 * 3_600;

    public const long FaultBytesPerSecondMinimum = 1;

    /// <summary>100 GB/s: above anything loopback carries, so only a typing mistake is refused.</summary>
    public const long FaultBytesPerSecondMaximum = 100_000_000_000;

    /// <summary>1 PiB for ResetAfter and LimitData.</summary>
    public const long FaultBytesMaximum = 1L << 50;

    public const int FaultSliceBytesMinimum = 1;
    public const int FaultSliceBytesMaximum = 16 * 1024 * 1024;
}
