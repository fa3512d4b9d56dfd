using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Start-ZeroCopyProxy's engine tuning parameters: copy mode, engine, limits, timeouts, sizes. Declared
/// in a base class of their own so the command's file stays readable; PowerShell binds inherited
/// parameters like its own. Each [ProxyOption] parameter starts with the engine's default
/// (ProxyOptionBinding.ApplyDefaults, called by the command).
/// </summary>
public abstract class ProxyTuningParameters : PSCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.CopyMode))]
    public CopyMode CopyMode { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.Engine))]
    public EngineKind Engine { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.MaxConnections))]
    [ValidateRange(ProxyOptionLimits.MaxConnectionsMinimum, ProxyOptionLimits.MaxConnectionsMaximum)]
    public int MaxConnections { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.ListenBacklog))]
    [ValidateRange(ProxyOptionLimits.ListenBacklogMinimum, ProxyOptionLimits.ListenBacklogMaximum)]
    public int ListenBacklog { get; set; }

    /// <summary>A number is seconds; a TimeSpan or '00:00:10' works too.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.ConnectTimeout))]
    [TimeSpanTransformation]
    [ValidateTimeSpan(ProxyOptionLimits.ConnectTimeoutMaximumSeconds, AllowZero = false)]
    public TimeSpan ConnectTimeout { get; set; }

    /// <summary>Zero disables.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.IdleTimeout))]
    [TimeSpanTransformation]
    [ValidateTimeSpan(ProxyOptionLimits.InactivityTimeoutMaximumSeconds, AllowZero = true)]
    public TimeSpan IdleTimeout { get; set; }

    /// <summary>Zero disables.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.HalfCloseTimeout))]
    [TimeSpanTransformation]
    [ValidateTimeSpan(ProxyOptionLimits.InactivityTimeoutMaximumSeconds, AllowZero = true)]
    public TimeSpan HalfCloseTimeout { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.DrainTimeout))]
    [TimeSpanTransformation]
    [ValidateTimeSpan(ProxyOptionLimits.DrainTimeoutMaximumSeconds, AllowZero = true)]
    public TimeSpan DrainTimeout { get; set; }

    /// <summary>How long a target name's addresses are used before they are looked up again; zero looks up per connection.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.DnsCacheDuration))]
    [TimeSpanTransformation]
    [ValidateTimeSpan(ProxyOptionLimits.DnsCacheDurationMaximumSeconds, AllowZero = true)]
    public TimeSpan DnsCacheDuration { get; set; }

    /// <summary>
    /// The largest pipe a direction grows to, in bytes (1048576, 1MB, '1MiB'); 64 KiB or less (0 too) keeps the kernel
    /// default without growth. Int64 so that 4GB gets ValidateByteSize's range message, not an Int32 conversion error.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.PipeSizeBytes))]
    [ByteSizeTransformation]
    [ValidateByteSize(0, ProxyOptionLimits.PipeSizeBytesMaximum)]
    public long PipeSize { get; set; }

    /// <summary>Pipe capacity held at most, in use plus idle, in bytes (67108864, 64MB, '64MiB').</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.MaxPipeMemoryBytes))]
    [ByteSizeTransformation]
    [ValidateByteSize(ProxyOptionLimits.MaxPipeMemoryBytesMinimum, ProxyOptionLimits.MaxPipeMemoryBytesMaximum)]
    public long MaxPipeMemory { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.MaxPipes))]
    [ValidateRange(ProxyOptionLimits.MaxPipesMinimum, ProxyOptionLimits.MaxPipesMaximum)]
    public int MaxPipes { get; set; }

    /// <summary>User-space buffer per buffered direction, in bytes (65536, 64KB, '64KiB'); Int64 for the same reason as PipeSize.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.BufferSizeBytes))]
    [ByteSizeTransformation]
    [ValidateByteSize(ProxyOptionLimits.BufferSizeBytesMinimum, ProxyOptionLimits.BufferSizeBytesMaximum)]
    public long BufferSize { get; set; }

    /// <summary>0 means one per processor.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.EventLoopCount))]
    [ValidateRange(0, ProxyOptionLimits.EventLoopCountMaximum)]
    public int EventLoopCount { get; set; }

    /// <summary>
    /// Permission bits of the socket file of a unix:/path listener: octal (660, '0600') or 'rw-rw----'.
    /// Connecting needs write permission. Abstract sockets (unix:@name) have no file and no access control.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.UnixSocketMode))]
    [UnixModeTransformation]
    [ValidateRange(0, ProxyOptionLimits.UnixSocketModeMaximum)]
    public int UnixSocketMode { get; set; }
}
