
namespace ZeroCopyPS.Engine;

/// <summary>A live snapshot of a running proxy's counters.</summary>
public sealed record ProxyStatus
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> ListenEndPoints { get; init; }
    /// <summary>The targets as configured, comma separated.</summary>
    public required string Target { get; init; }

    /// <summary>Each target with its health, weight and counters.</summary>
    public required IReadOnlyList<TargetStatus> Targets { get; init; }

    public required BalanceMode Balance { get; init; }
    public required CopyMode CopyMode { get; init; }
    public required EngineKind Engine { get; init; }
    public required bool IsRunning { get; init; }
    public required DateTimeOffset StartTime { get; init; }
    public required long ActiveConnections { get; init; }
    public required long TotalConnections { get; init; }
    public required long FailedConnections { get; init; }
    public required long BytesClientToTarget { get; init; }
    public required long BytesTargetToClient { get; init; }
    public required long BytesSpliced { get; init; }
    public required long BytesCopied { get; init; }
    public required long SpliceFallbacks { get; init; }
    public required int PipesInUse { get; init; }
    public required int PipesIdle { get; init; }
    public required int MaxPipes { get; init; }
    /// <summary>The largest pipe a direction may grow to: PipeSizeBytes as the kernel rounds it, bounded by /proc/sys/fs/pipe-max-size. 0 where nothing is spliced.</summary>
    public required int PipeCapacityBytes { get; init; }

    /// <summary>Pipes by size class (smallest first): in use and idle. Empty where nothing is spliced.</summary>
    public IReadOnlyList<PipeSizeStatus> PipesBySize { get; init; } = [];

    /// <summary>Pipe capacity held now (in use plus idle, every loop): what counts against <see cref="MaxPipeMemoryBytes"/>.</summary>
    public long PipeMemoryBytes { get; init; }

    /// <summary>The most pipe capacity held at once since start (never above <see cref="MaxPipeMemoryBytes"/>).</summary>
    public long PeakPipeMemoryBytes { get; init; }

    /// <summary>The byte budget of pipes (MaxPipeMemoryBytes); 0 where nothing is spliced.</summary>
    public long MaxPipeMemoryBytes { get; init; }

    /// <summary>Pipes grown one size class because their direction kept filling them.</summary>
    public long PipeGrowths { get; init; }

    /// <summary>Pipe sizes the kernel refused (EPERM past pipe-user-pages-soft, EBUSY) or granted in part; each pipe kept what it got.</summary>
    public long PipeGrowthsRefused { get; init; }

    /// <summary>
    /// Pipes not made, or not grown, because MaxPipeMemoryBytes (or MaxPipes) was reached: the direction went on
    /// with a smaller pipe or, with none to be had, through a buffer (FallbackReason PipeBudgetExhausted).
    /// </summary>
    public long PipeBudgetDenials { get; init; }
    public required int EventLoops { get; init; }

    /// <summary>Pipes the kernel made smaller than its default (the user's pipe-user-pages-soft was passed); they were closed unused.</summary>
    public required long PipesRefusedTooSmall { get; init; }

    /// <summary>Lookups of the targets' names since start (at most one per DnsCacheDuration per name, and one at a time).</summary>
    public required long DnsLookups { get; init; }

    /// <summary>Lookups that failed; while an earlier answer exists it keeps serving.</summary>
    public required long DnsFailures { get; init; }

    /// <summary>The resolver's last failure, or null.</summary>
    public required string? DnsLastFailure { get; init; }

    /// <summary>Clients refused by the allow/deny rules (each reset at once, with a Denied record).</summary>
    public required long DeniedConnections { get; init; }

    /// <summary>Pending clients reset because the process had no descriptor left for them (accept-and-close).</summary>
    public required long RefusedConnections { get; init; }

    /// <summary>
    /// Connections this proxy can hold at once: MaxConnections, or fewer when the process's descriptor
    /// limit (less the runtime's headroom and what else is open) allows fewer. Set when the proxy started.
    /// </summary>
    public int EffectiveMaxConnections { get; init; }

    /// <summary>The process's descriptor limit (soft RLIMIT_NOFILE) when the proxy started; 0 where unknown.</summary>
    public long DescriptorLimit { get; init; }

    /// <summary>The faults active now (docs/ARCHITECTURE.md, "Fault injection").</summary>
    public IReadOnlyList<ProxyFault> Faults { get; init; } = [];
}
