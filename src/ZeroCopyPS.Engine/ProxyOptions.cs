using System.Net;
namespace ZeroCopyPS.Engine;

/// <summary>Everything a proxy needs to start. Every limit has a default that keeps a long-running proxy bounded.</summary>
public sealed class ProxyOptions
{
    public ProxyOptions(IReadOnlyList<ProxyEndpoint> listen, ProxyEndpoint target)
        : this(listen, [new ProxyTarget(target)])
    {
    }

    public ProxyOptions(IReadOnlyList<ProxyEndpoint> listen, IReadOnlyList<ProxyTarget> targets)
    {
        if (listen.Count == 0) throw new ArgumentException("At least one listen endpoint is required.", nameof(listen));
        if (targets.Count == 0) throw new ArgumentException("At least one target is required.", nameof(targets));
        Listen = listen;
        Targets = targets;
    }

    public IReadOnlyList<ProxyEndpoint> Listen { get; }

    /// <summary>Where connections go: one or more targets (see <see cref="Balance"/>).</summary>
    public IReadOnlyList<ProxyTarget> Targets { get; }

    /// <summary>The first target; with one target, the target.</summary>
    public ProxyEndpoint Target => Targets[0].Endpoint;

    /// <summary>How a target is chosen for each new connection when there are several.</summary>
    public BalanceMode Balance { get; init; } = BalanceMode.RoundRobin;

    /// <summary>
    /// Connects to a target that fail this many times in a row mark it down for <see cref="HealthCoolDown"/>;
    /// a failed connect is retried on the next target within the connect timeout.
    /// </summary>
    public int HealthFailureThreshold { get; init; } = 3;

    /// <summary>How long a target marked down by failed connects is skipped before it is tried again.</summary>
    public TimeSpan HealthCoolDown { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often every target is checked with a connect (a down target that answers is up again). Zero: no active check.</summary>
    public TimeSpan HealthCheckInterval { get; init; }

    /// <summary>
    /// Client addresses or ranges (CIDR) that may connect; empty allows every client not denied. IPv4
    /// clients of a dual-stack listener match their IPv4 ranges. Unix-socket clients have no address
    /// and are not filtered.
    /// </summary>
    public IReadOnlyList<IPNetwork> AllowClients { get; init; } = [];

    /// <summary>Client addresses or ranges (CIDR) that may not connect; checked before <see cref="AllowClients"/>.</summary>
    public IReadOnlyList<IPNetwork> DenyClients { get; init; } = [];

    /// <summary>Write a PROXY protocol header to the target before the client's first byte, so the target sees the real client.</summary>
    public ProxyProtocolVersion SendProxyProtocol { get; init; }

    /// <summary>
    /// Expect a PROXY protocol header (v1 or v2) from every client (a load balancer in front): the
    /// statistics' client is then the one the header names. A client that sends none, or a malformed
    /// one, is reset.
    /// </summary>
    public bool AcceptProxyProtocol { get; init; }

    /// <summary>How long a client may take to send its whole PROXY header.</summary>
    public TimeSpan ProxyProtocolTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public string Name { get; init; } = "proxy";

    public CopyMode CopyMode { get; init; } = CopyMode.Auto;

    /// <summary>Which engine drives the sockets. Auto: epoll on Linux, managed sockets elsewhere.</summary>
    public EngineKind Engine { get; init; } = EngineKind.Auto;

    /// <summary>Open connections at most; at the limit accepting pauses (clients wait in the backlog), nothing is dropped.</summary>
    public int MaxConnections { get; init; } = 10_000;

    public int ListenBacklog { get; init; } = 511;

    /// <summary>DNS plus connect, over all of the target's addresses.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>No byte in either direction for this long closes the connection. Zero disables.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// After one direction finished, how long the other may stay silent (each byte it moves starts the
    /// wait again; HAProxy's client-fin/server-fin). Zero disables.
    /// </summary>
    public TimeSpan HalfCloseTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a target name's answer is used before it is looked up again. One lookup runs at a time;
    /// when the resolver fails, the last good answer keeps serving. Zero looks up for every connection
    /// (still one lookup at a time, and the last good answer on failure).
    /// </summary>
    public TimeSpan DnsCacheDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>On stop, how long open connections may finish before they are closed.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The largest pipe a direction grows to: every direction starts with the kernel's 64 KiB pipe, and one
    /// that keeps filling it grows it (F_SETPIPE_SZ, 4x a step) up to this, bounded by /proc/sys/fs/pipe-max-size
    /// (docs/ARCHITECTURE.md, "Adaptive pipes"). 64 KiB or less (0 included) keeps the kernel default: no growth.
    /// </summary>
    public int PipeSizeBytes { get; init; } = ProxyOptionsDefaults.PipeSizeBytes;

    /// <summary>
    /// Pipe capacity held at most, in bytes, in use plus idle over every loop. A pipe that would pass it does
    /// not grow (or a smaller one is rented); when not even a 64 KiB pipe fits, a direction copies through a buffer.
    /// </summary>
    public long MaxPipeMemoryBytes { get; init; } = ProxyOptionsDefaults.MaxPipeMemoryBytes;

    /// <summary>Pipes in use plus idle at most (two descriptors each), whatever their size. Past it a direction copies through a buffer.</summary>
    public int MaxPipes { get; init; } = 512;

    /// <summary>Tests only: stands in for F_SETPIPE_SZ, so that a refused or shrunk resize can be made to happen.</summary>
    internal Epoll.PipeResizer? PipeResizerForTests { get; init; }

    /// <summary>User-space buffer per active buffered direction.</summary>
    public int BufferSizeBytes { get; init; } = 64 * 1024;

    /// <summary>Auto mode: a read that returns at least this many bytes switches its direction to splice.</summary>
    public int AutoSpliceThresholdBytes { get; init; } = ProxyOptionsDefaults.AutoSpliceThresholdBytes;

    /// <summary>Epoll loops (threads); 0 means one per processor.</summary>
    public int EventLoopCount { get; init; }

    /// <summary>
    /// Permission bits of a Unix socket file this proxy creates (connecting needs write permission).
    /// 0660: the owner and its group may connect, nobody else, whatever the process's umask.
    /// Abstract sockets have no file and no access control.
    /// </summary>
    public int UnixSocketMode { get; init; } = 0b110_110_000; // 0660

    /// <summary>
    /// Where each closed connection's record goes as one JSON line (docs/ARCHITECTURE.md, "Access log"),
    /// or null. Opened by the caller (<see cref="Logging.AccessLog.Open(string)"/>), which disposes it after the
    /// proxy stopped; writing never blocks the proxy, a full queue drops and counts.
    /// </summary>
    public Logging.AccessLog? AccessLog { get; init; }

    /// <summary>
    /// Binds TCP listeners with SO_REUSEPORT, so that several processes can listen on one port side by side
    /// (the kernel spreads new connections over them). Unix socket paths cannot be shared this way; they
    /// move to a new instance only through <see cref="HandOverPath"/>.
    /// </summary>
    public bool ReusePort { get; init; }

    /// <summary>
    /// A Unix socket path (absolute) for a seamless restart, as HAProxy's <c>-x</c>: at start the proxy asks
    /// the instance serving this path for its listening sockets and listens on the same sockets (their
    /// accept queues included, so no waiting client is refused or reset), then serves the path itself for
    /// the next instance. The instance whose sockets were taken learns it through
    /// <see cref="ProxyServer.ListenersHandedOver"/> and should then stop with its drain. Null: none.
    /// </summary>
    public string? HandOverPath { get; init; }

    /// <summary>Faults active from the start (docs/ARCHITECTURE.md, "Fault injection"); more can be added while running.</summary>
    public IReadOnlyList<ProxyFault> Faults { get; init; } = [];

    /// <summary>Checks every option against <see cref="ProxyOptionLimits"/>; throws <see cref="ArgumentOutOfRangeException"/> naming the bad one.</summary>
    public void Validate()
    {
        InRange(MaxConnections, ProxyOptionLimits.MaxConnectionsMinimum, ProxyOptionLimits.MaxConnectionsMaximum, nameof(MaxConnections));
        InRange(ListenBacklog, ProxyOptionLimits.ListenBacklogMinimum, ProxyOptionLimits.ListenBacklogMaximum, nameof(ListenBacklog));
        InRange(MaxPipes, ProxyOptionLimits.MaxPipesMinimum, ProxyOptionLimits.MaxPipesMaximum, nameof(MaxPipes));
        InRange(MaxPipeMemoryBytes, ProxyOptionLimits.MaxPipeMemoryBytesMinimum, ProxyOptionLimits.MaxPipeMemoryBytesMaximum, nameof(MaxPipeMemoryBytes));
        InRange(AutoSpliceThresholdBytes, ProxyOptionLimits.AutoSpliceThresholdBytesMinimum, ProxyOptionLimits.AutoSpliceThresholdBytesMaximum, nameof(AutoSpliceThresholdBytes));
        InRange(BufferSizeBytes, ProxyOptionLimits.BufferSizeBytesMinimum, ProxyOptionLimits.BufferSizeBytesMaximum, nameof(BufferSizeBytes));
        InRange(PipeSizeBytes, 0, ProxyOptionLimits.PipeSizeBytesMaximum, nameof(PipeSizeBytes));
        InRange(EventLoopCount, 0, ProxyOptionLimits.EventLoopCountMaximum, nameof(EventLoopCount));
        InRange(UnixSocketMode, 0, ProxyOptionLimits.UnixSocketModeMaximum, nameof(UnixSocketMode));
        InRange(Targets.Count, 1, ProxyOptionLimits.TargetsMaximum, nameof(Targets));
        InRange(HealthFailureThreshold, ProxyOptionLimits.HealthFailureThresholdMinimum, ProxyOptionLimits.HealthFailureThresholdMaximum, nameof(HealthFailureThreshold));
        InRange(AllowClients.Count + DenyClients.Count, 0, ProxyOptionLimits.ClientRulesMaximum, nameof(AllowClients));
        if (HealthCoolDown <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(HealthCoolDown), HealthCoolDown, "HealthCoolDown must be greater than zero.");
        AtMost(HealthCoolDown, ProxyOptionLimits.HealthIntervalMaximumSeconds, nameof(HealthCoolDown));
        AtMost(HealthCheckInterval, ProxyOptionLimits.HealthIntervalMaximumSeconds, nameof(HealthCheckInterval));
        if (ProxyProtocolTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ProxyProtocolTimeout), ProxyProtocolTimeout, "ProxyProtocolTimeout must be greater than zero.");
        AtMost(ProxyProtocolTimeout, ProxyOptionLimits.ProxyProtocolTimeoutMaximumSeconds, nameof(ProxyProtocolTimeout));
        if (Targets.Any(t => t.Endpoint.Port == 0 && !t.Endpoint.IsUnix))
            throw new ArgumentOutOfRangeException(nameof(Targets), "A target needs a port other than 0.");
        if (ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "ConnectTimeout must be greater than zero.");
        AtMost(ConnectTimeout, ProxyOptionLimits.ConnectTimeoutMaximumSeconds, nameof(ConnectTimeout));
        AtMost(IdleTimeout, ProxyOptionLimits.InactivityTimeoutMaximumSeconds, nameof(IdleTimeout));
        AtMost(HalfCloseTimeout, ProxyOptionLimits.InactivityTimeoutMaximumSeconds, nameof(HalfCloseTimeout));
        AtMost(DrainTimeout, ProxyOptionLimits.DrainTimeoutMaximumSeconds, nameof(DrainTimeout));
        AtMost(DnsCacheDuration, ProxyOptionLimits.DnsCacheDurationMaximumSeconds, nameof(DnsCacheDuration));
        InRange(Faults.Count, 0, ProxyOptionLimits.FaultsMaximum, nameof(Faults));
        foreach (ProxyFault fault in Faults) fault.Validate();
        if (Faults.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"Two faults are named '{twice.Key}'; a fault's name must be unique within its proxy.", nameof(Faults));
        if (HandOverPath is not null && !Path.IsPathFullyQualified(HandOverPath))
            throw new ArgumentException($"HandOverPath '{HandOverPath}' must be an absolute path.", nameof(HandOverPath));
        if (HandOverPath is not null && System.Text.Encoding.UTF8.GetByteCount(HandOverPath) > ProxyOptionLimits.HandOverPathBytesMaximum)
            throw new ArgumentOutOfRangeException(nameof(HandOverPath), HandOverPath, $"HandOverPath must be at most {ProxyOptionLimits.HandOverPathBytesMaximum} bytes long.");
    }

    private static void InRange(long value, long minimum, long maximum, string name)
    {
        if (value < minimum || value > maximum)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {minimum} and {maximum}.");
    }

    private static void AtMost(TimeSpan value, double maximumSeconds, string name)
    {
        if (value < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must not be negative.");
        if (value > TimeSpan.FromSeconds(maximumSeconds))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at most {TimeSpan.FromSeconds(maximumSeconds)}.");
    }
}
