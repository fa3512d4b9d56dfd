using ZeroCopyPS.Engine.Copy;

namespace ZeroCopyPS.Engine.Proxy;

/// <summary>Everything a proxy needs to start. Every limit has a default that keeps a long-running proxy bounded.</summary>
public sealed class ProxyOptions
{
    public ProxyOptions(IReadOnlyList<ProxyEndpoint> listen, ProxyEndpoint target)
    {
        if (listen.Count == 0) throw new ArgumentException("At least one listen endpoint is required.", nameof(listen));
        Listen = listen;
        Target = target;
    }

    public IReadOnlyList<ProxyEndpoint> Listen { get; }

    public ProxyEndpoint Target { get; }

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

    /// <summary>After one direction finished, how long the other may still run. Zero disables.</summary>
    public TimeSpan HalfCloseTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>On stop, how long open connections may finish before they are closed.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pipe capacity to ask for with F_SETPIPE_SZ; 0 keeps the kernel default (64 KiB).</summary>
    public int PipeSizeBytes { get; init; }

    /// <summary>Global pipe budget: pipes in use plus idle at most. Past it a direction copies through a buffer.</summary>
    public int MaxPipes { get; init; } = 512;

    /// <summary>User-space buffer per active buffered direction.</summary>
    public int BufferSizeBytes { get; init; } = 64 * 1024;

    /// <summary>Auto mode: a read that returns at least this many bytes switches its direction to splice.</summary>
    public int AutoSpliceThresholdBytes { get; init; } = ProxyOptionsDefaults.AutoSpliceThresholdBytes;

    /// <summary>Epoll loops (threads); 0 means one per processor.</summary>
    public int EventLoopCount { get; init; }

    /// <summary>Checks every limit; throws <see cref="ArgumentOutOfRangeException"/> naming the bad one.</summary>
    public void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must be greater than 0.");
        }
        static void NotNegative(TimeSpan value, string name)
        {
            if (value < TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, value, $"{name} must not be negative.");
        }
        Positive(MaxConnections, nameof(MaxConnections));
        Positive(ListenBacklog, nameof(ListenBacklog));
        Positive(MaxPipes, nameof(MaxPipes));
        Positive(AutoSpliceThresholdBytes, nameof(AutoSpliceThresholdBytes));
        if (BufferSizeBytes < 1024 || BufferSizeBytes > 16 * 1024 * 1024)
            throw new ArgumentOutOfRangeException(nameof(BufferSizeBytes), BufferSizeBytes, "BufferSizeBytes must be between 1 KiB and 16 MiB.");
        if (PipeSizeBytes < 0 || PipeSizeBytes > 256 * 1024 * 1024)
            throw new ArgumentOutOfRangeException(nameof(PipeSizeBytes), PipeSizeBytes, "PipeSizeBytes must be 0 (kernel default) or at most 256 MiB.");
        if (EventLoopCount < 0 || EventLoopCount > 256)
            throw new ArgumentOutOfRangeException(nameof(EventLoopCount), EventLoopCount, "EventLoopCount must be 0 (one per processor) to 256.");
        if (ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "ConnectTimeout must be greater than zero.");
        NotNegative(IdleTimeout, nameof(IdleTimeout));
        NotNegative(HalfCloseTimeout, nameof(HalfCloseTimeout));
        NotNegative(DrainTimeout, nameof(DrainTimeout));
    }
}
