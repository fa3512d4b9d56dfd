using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// A snapshot of one proxy job's counters, as Get-ZeroCopyProxy reports them. Live while the proxy
/// runs; the final counters once it has stopped. Byte counts are totals over every connection.
/// </summary>
public sealed class ZeroCopyProxyStatus
{
    internal ZeroCopyProxyStatus(ZeroCopyProxyJob job, ProxyStatus? status, DateTimeOffset? stoppedAt)
    {
        Id = job.Id;
        Name = job.Name;
        State = job.JobStateInfo.State;
        ListenEndPoints = status?.ListenEndPoints.ToArray() ?? job.ListenEndPoints;
        Target = job.Target;
        Targets = status?.Targets.Select(t => new ZeroCopyTargetStatus(job.Name, t)).ToArray() ?? Array.Empty<ZeroCopyTargetStatus>();
        Balance = status?.Balance ?? BalanceMode.RoundRobin;
        CopyMode = status?.CopyMode ?? job.CopyMode;
        Engine = status?.Engine ?? job.Engine;
        StartTime = status?.StartTime ?? DateTimeOffset.MinValue;
        Uptime = status is null ? TimeSpan.Zero : (stoppedAt ?? DateTimeOffset.Now) - status.StartTime;
        ActiveConnections = status?.ActiveConnections ?? 0;
        TotalConnections = status?.TotalConnections ?? 0;
        FailedConnections = status?.FailedConnections ?? 0;
        BytesClientToTarget = status?.BytesClientToTarget ?? 0;
        BytesTargetToClient = status?.BytesTargetToClient ?? 0;
        BytesSpliced = status?.BytesSpliced ?? 0;
        BytesCopied = status?.BytesCopied ?? 0;
        SpliceFallbacks = status?.SpliceFallbacks ?? 0;
        PipesInUse = status?.PipesInUse ?? 0;
        PipesIdle = status?.PipesIdle ?? 0;
        MaxPipes = status?.MaxPipes ?? 0;
        PipeCapacityBytes = status?.PipeCapacityBytes ?? 0;
        PipesBySize = status?.PipesBySize.ToArray() ?? Array.Empty<PipeSizeStatus>();
        PipeMemoryBytes = status?.PipeMemoryBytes ?? 0;
        PeakPipeMemoryBytes = status?.PeakPipeMemoryBytes ?? 0;
        MaxPipeMemoryBytes = status?.MaxPipeMemoryBytes ?? 0;
        PipeGrowths = status?.PipeGrowths ?? 0;
        PipeGrowthsRefused = status?.PipeGrowthsRefused ?? 0;
        PipeBudgetDenials = status?.PipeBudgetDenials ?? 0;
        EventLoops = status?.EventLoops ?? 0;
        EffectiveMaxConnections = status?.EffectiveMaxConnections ?? 0;
        DescriptorLimit = status?.DescriptorLimit ?? 0;
        RefusedConnections = status?.RefusedConnections ?? 0;
        DeniedConnections = status?.DeniedConnections ?? 0;
        DroppedStatisticsCount = job.DroppedStatisticsCount;
        DroppedErrorCount = job.DroppedErrorCount;
        Engine.Logging.AccessLog? log = job.Service.Log;
        LogPath = log?.Path;
        LogRecordsWritten = log?.RecordsWritten ?? 0;
        LogRecordsDropped = log?.RecordsDropped ?? 0;
        LogError = log?.LastError;
        MetricsUrl = job.Service.Metrics?.Url;
        Faults = status?.Faults.ToArray() ?? Array.Empty<ProxyFault>();
    }

    /// <summary>The job's Id (Get-Job -Id, Stop-ZeroCopyProxy -Id).</summary>
    public int Id { get; }

    /// <summary>The proxy's name, which is also the job's name.</summary>
    public string Name { get; }

    /// <summary>The same as Name, under the name the fault and connection cmdlets bind by property name (their -Name is a fault's or absent).</summary>
    public string ProxyName => Name;

    /// <summary>The job's state: Running, Stopping, Stopped or Failed.</summary>
    public JobState State { get; }

    /// <summary>The bound listen addresses (port 0 resolved).</summary>
    public string[] ListenEndPoints { get; }

    /// <summary>The targets as configured (or as Set-ZeroCopyProxy last set them), comma separated, with weights and backups.</summary>
    public string Target { get; }

    /// <summary>Each target with its health, weight, backup role and counters (its own table view).</summary>
    public ZeroCopyTargetStatus[] Targets { get; }

    /// <summary>How a target is chosen for each new connection.</summary>
    public BalanceMode Balance { get; }

    /// <summary>The configured copy mode.</summary>
    public CopyMode CopyMode { get; }

    /// <summary>The engine driving the sockets.</summary>
    public EngineKind Engine { get; }

    /// <summary>When the proxy started.</summary>
    public DateTimeOffset StartTime { get; }

    /// <summary>From start until now, or until the proxy stopped.</summary>
    public TimeSpan Uptime { get; }

    /// <summary>Connections open at the time of the snapshot.</summary>
    public long ActiveConnections { get; }

    /// <summary>Connections accepted since start.</summary>
    public long TotalConnections { get; }

    /// <summary>Connections that ended in an error (target unreachable, reset, engine error).</summary>
    public long FailedConnections { get; }

    /// <summary>Bytes delivered to the target, over all connections.</summary>
    public long BytesClientToTarget { get; }

    /// <summary>Bytes delivered to clients, over all connections.</summary>
    public long BytesTargetToClient { get; }

    /// <summary>Of the delivered bytes, those moved by splice(2).</summary>
    public long BytesSpliced { get; }

    /// <summary>Of the delivered bytes, those copied through a user-space buffer.</summary>
    public long BytesCopied { get; }

    /// <summary>Transfers that wanted splice and used the buffered copy instead.</summary>
    public long SpliceFallbacks { get; }

    /// <summary>Pipes holding data or assigned to a direction right now.</summary>
    public int PipesInUse { get; }

    /// <summary>Empty pipes kept in the pool for reuse.</summary>
    public int PipesIdle { get; }

    /// <summary>Pipes in use plus idle at most (-MaxPipes), whatever their size.</summary>
    public int MaxPipes { get; }

    /// <summary>The largest pipe a direction grows to: -PipeSize as the kernel rounds it, bounded by /proc/sys/fs/pipe-max-size (0: managed engine).</summary>
    public int PipeCapacityBytes { get; }

    /// <summary>Pipes by size class, smallest first: CapacityBytes, InUse, Idle.</summary>
    public PipeSizeStatus[] PipesBySize { get; }

    /// <summary>Pipe capacity held now, in use plus idle: what counts against -MaxPipeMemory.</summary>
    public long PipeMemoryBytes { get; }

    /// <summary>The most pipe capacity held at once since start (never above MaxPipeMemoryBytes).</summary>
    public long PeakPipeMemoryBytes { get; }

    /// <summary>The pipe byte budget (-MaxPipeMemory).</summary>
    public long MaxPipeMemoryBytes { get; }

    /// <summary>Pipes grown a size because their direction kept filling them.</summary>
    public long PipeGrowths { get; }

    /// <summary>Pipe sizes the kernel refused (pipe-user-pages-soft) or granted in part; the pipe kept what it had.</summary>
    public long PipeGrowthsRefused { get; }

    /// <summary>Pipes not made or not grown because -MaxPipeMemory (or -MaxPipes) was reached.</summary>
    public long PipeBudgetDenials { get; }

    /// <summary>Event loop threads.</summary>
    public int EventLoops { get; }

    /// <summary>
    /// Connections the proxy can hold at once: -MaxConnections, or fewer when the process's descriptor
    /// limit (ulimit -n, less headroom for PowerShell itself) allows fewer. Fixed when the proxy started.
    /// </summary>
    public int EffectiveMaxConnections { get; }

    /// <summary>The process's descriptor limit (ulimit -n) when the proxy started; 0 where unknown.</summary>
    public long DescriptorLimit { get; }

    /// <summary>Waiting clients reset at once because the process had no descriptor left to serve them.</summary>
    public long RefusedConnections { get; }

    /// <summary>Clients refused by -AllowClient/-DenyClient (each reset at once, with a Denied statistics record).</summary>
    public long DeniedConnections { get; }

    /// <summary>Statistics the job dropped because more than its history limit were unread.</summary>
    public long DroppedStatisticsCount { get; }

    /// <summary>Error records the job dropped because more than its history limit were unread.</summary>
    public long DroppedErrorCount { get; }

    /// <summary>The access log's full path (-LogPath), or null.</summary>
    public string? LogPath { get; }

    /// <summary>Records written to the access log file since it was opened (by every proxy of the process that shares the file).</summary>
    public long LogRecordsWritten { get; }

    /// <summary>Records the access log dropped because the file took them more slowly than connections closed (shared like LogRecordsWritten).</summary>
    public long LogRecordsDropped { get; }

    /// <summary>Why the access log's last write or reopen failed; null when all is well.</summary>
    public string? LogError { get; }

    /// <summary>The faults injected now (Add-ZeroCopyFault, Start-ZeroCopyProxy -Fault), in the order added; none once stopped.</summary>
    public ProxyFault[] Faults { get; }

    /// <summary>Where Prometheus scrapes this proxy (-MetricsListen): http://ADDRESS:PORT/metrics, or null.</summary>
    public string? MetricsUrl { get; }
}
