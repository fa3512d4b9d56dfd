using System.Net;
using System.Runtime;
using System.Text.Json;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS.LoadGen;

/// <summary>
/// The "proxy" command: the engine's <see cref="ProxyServer"/> in a process of its own, without
/// PowerShell, so its memory, descriptors and CPU can be measured alone. With "--control stdin" it
/// answers, one line each:
/// <list type="bullet">
/// <item>STATUS: one JSON object: the proxy's counters (ProxyStatus), closes by reason, and the process's
/// VmRSS, open descriptors, threads, managed heap (GC.GetTotalMemory), bytes allocated so far, gen0 collections and CPU time.</item>
/// <item>GC: a forced, blocking, compacting full collection, finalizers, then an aggressive one (free memory
/// decommitted), then STATUS.</item>
/// <item>CPU: the process's CPU time in nanoseconds (clock_gettime(CLOCK_PROCESS_CPUTIME_ID)), nothing
/// else, so sampling it costs next to nothing.</item>
/// <item>COUNTS: "active total closed cpuNanoseconds", also cheap (STATUS reads /proc/self/fd, which costs
/// in proportion to the descriptors open).</item>
/// <item>FDS: open descriptors by kind (socket, pipe, eventpoll, eventfd, files by path), as JSON.</item>
/// <item>EXIT: stops the proxy (1 s drain) and ends.</item>
/// </list>
/// </summary>
internal static class ProxyHost
{
    public static int Run(Arguments options)
    {
        EndPoint target = options.StreamEndpoint("target");
        EndPoint listen = options.StreamEndpoint("listen", "127.0.0.1:0");
        CopyMode mode = Enum.Parse<CopyMode>(options.String("mode", "Auto"), ignoreCase: true);
        EngineKind engine = Enum.Parse<EngineKind>(options.String("engine", "Auto"), ignoreCase: true);
        int loops = options.Int("loops", 0);
        int maxConnections = options.Int("max-connections", 10_000); // ProxyOptions' default
        int backlog = options.Int("backlog", 511);
        double idleTimeout = options.Double("idle-timeout", TimeSpan.FromHours(1).TotalSeconds);
        double lifetime = options.Double("lifetime", 900);
        int pipeSize = options.Int("pipe-size", ProxyOptionsDefaults.PipeSizeBytes);
        bool control = ControlMode(options);
        options.ThrowOnUnused();

        var observer = new CountingObserver();
        using ProxyServer proxy = ProxyServer.Start(new ProxyOptions([ProxyEndpoint.Parse(Text(listen))], ProxyEndpoint.Parse(Text(target)))
        {
            Name = $"loadgen-{mode}",
            CopyMode = mode,
            Engine = engine,
            EventLoopCount = loops,
            MaxConnections = maxConnections,
            ListenBacklog = backlog,
            IdleTimeout = TimeSpan.FromSeconds(idleTimeout),
            DrainTimeout = TimeSpan.FromSeconds(1),
            PipeSizeBytes = pipeSize,
        }, observer);
        Console.WriteLine($"LISTENING {ProxyEndpoint.Format(proxy.ListenEndPoints[0])}");
        if (control) ControlChannel.Serve(command => Answer(command, proxy, observer), lifetime);
        else Program.WaitForExit(lifetime);
        proxy.Stop(TimeSpan.FromSeconds(1));
        Console.Error.WriteLine($"proxy stopped: {observer.Closed} connections closed, engine faults: {observer.Faults}");
        return observer.Faults == 0 ? 0 : 1;
    }

    /// <summary>"--control stdin" (commands on standard input) or "--control none" (the default: run for --lifetime).</summary>
    public static bool ControlMode(Arguments options) => options.String("control", "none").ToLowerInvariant() switch
    {
        "stdin" => true,
        "none" => false,
        var other => throw new ArgumentException($"--control '{other}': expected stdin or none."),
    };

    private static string Text(EndPoint endPoint) => endPoint is IPEndPoint ip ? ProxyEndpoint.Format(ip) : "unix:" + endPoint;

    private static string? Answer(string command, ProxyServer proxy, CountingObserver observer)
    {
        switch (command)
        {
            case "CPU":
                return ProcStats.SelfCpuNanoseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            case "COUNTS":
                ProxyStatus counts = proxy.GetStatus();
                return FormattableString.Invariant($"{counts.ActiveConnections} {counts.TotalConnections} {observer.Closed} {ProcStats.SelfCpuNanoseconds()}");
            case "STATUS":
                return Status(proxy, observer);
            case "GC":
                // Aggressive: compacts and gives free memory back to the OS, so VmRSS afterwards is what the heap holds.
                GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                return Status(proxy, observer);
            case "FDS":
                return JsonSerializer.Serialize(ProcStats.FdKinds(Environment.ProcessId));
            default:
                return null;
        }
    }

    private static string Status(ProxyServer proxy, CountingObserver observer)
    {
        ProxyStatus s = proxy.GetStatus();
        int pid = Environment.ProcessId;
        GCMemoryInfo gc = GC.GetGCMemoryInfo();
        return JsonSerializer.Serialize(new
        {
            engine = s.Engine.ToString(),
            active = s.ActiveConnections,
            total = s.TotalConnections,
            failed = s.FailedConnections,
            refused = s.RefusedConnections,
            closed = observer.Closed,
            closeReasons = observer.Reasons(),
            firstErrors = observer.FirstErrors(),
            pipesInUse = s.PipesInUse,
            pipesIdle = s.PipesIdle,
            pipeMemoryBytes = s.PipeMemoryBytes,
            pipeGrowths = s.PipeGrowths,
            eventLoops = s.EventLoops,
            effectiveMaxConnections = s.EffectiveMaxConnections,
            descriptorLimit = s.DescriptorLimit,
            rssBytes = ProcStats.RssBytes(pid),
            fds = ProcStats.FdCount(pid),
            threads = ProcStats.Threads(pid),
            gcHeapBytes = GC.GetTotalMemory(forceFullCollection: false),
            // Every byte the process ever allocated on the managed heap: its delta across a workload is the garbage it made.
            allocatedBytes = GC.GetTotalAllocatedBytes(precise: false),
            gcCollections = GC.CollectionCount(0),
            gcCommittedBytes = gc.TotalCommittedBytes,
            gcFragmentedBytes = gc.FragmentedBytes,
            cpuNanoseconds = ProcStats.SelfCpuNanoseconds(),
            faults = observer.Faults,
        });
    }

    private sealed class CountingObserver : IProxyObserver
    {
        private readonly long[] _byReason = new long[Enum.GetValues<CloseReason>().Max(r => (int)r) + 1];
        private readonly List<string> _errors = new();
        private long _closed;
        private long _faults;
        public long Closed => Interlocked.Read(ref _closed);
        public long Faults => Interlocked.Read(ref _faults);

        public Dictionary<string, long> Reasons() =>
            Enum.GetValues<CloseReason>().Where(r => Interlocked.Read(ref _byReason[(int)r]) > 0)
                .ToDictionary(r => r.ToString(), r => Interlocked.Read(ref _byReason[(int)r]));

        /// <summary>The first few error texts of connections that did not close cleanly, with their reason.</summary>
        public string[] FirstErrors()
        {
            lock (_errors) return _errors.ToArray();
        }

        public void OnConnectionClosed(ConnectionStatistics statistics)
        {
            if (statistics.Error is { } error)
                lock (_errors)
                    if (_errors.Count < 5) _errors.Add($"{statistics.CloseReason}: {error}");
            Interlocked.Increment(ref _byReason[(int)statistics.CloseReason]);
            Interlocked.Increment(ref _closed);
        }

        public void OnEngineFaulted(Exception error)
        {
            Interlocked.Increment(ref _faults);
            Console.Error.WriteLine($"proxy engine faulted: {error}");
        }
    }
}
