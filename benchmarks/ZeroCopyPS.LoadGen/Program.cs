using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using ZeroCopyPS.Bench;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS.LoadGen;

/// <summary>
/// Load generator and peers for scripts/Compare-Peers.ps1 and scripts/Invoke-Soak.ps1. Every command stays
/// on loopback and ends by itself: servers and the proxy host after --lifetime seconds (or SIGTERM/SIGINT),
/// clients after their count or --seconds. Client results are one JSON line on stdout; servers print
/// "LISTENING ip:port" (the soak server also a JSON line with its counts when it ends).
/// </summary>
public static class Program
{
    private const string Usage = """
        ZeroCopyPS.LoadGen <command> [--option value ...]   (loopback addresses only)
          server   --kind echo|sink|soak [--listen 127.0.0.1:0] [--lifetime 900] [--records FILE]  (soak: --records required)
          proxy    --target IP:PORT [--mode Auto|Splice|Buffered] [--listen 127.0.0.1:0] [--loops 0] [--lifetime 900]
          bulk     --target IP:PORT [--streams 1] [--seconds 4]          (target: a sink)
          pingpong --target IP:PORT [--count 10000] [--size 64] [--warmup 500]   (target: an echo)
          connrate --target IP:PORT [--seconds 4] [--concurrency 4] [--size 64]  (target: an echo)
          idle     --target IP:PORT [--count 1000] [--hold 3]            (target: an echo; prints READY n)
          soak     --target IP:PORT --records FILE [--seconds 60] [--concurrency 8] [--max-connections 10000000]
                   [--max-bytes 33554432] [--seed 1]                     (target: a soak server; a JSON line per connection)
          soak-check --client FILE --server FILE --proxy FILE [--list 20]  (joins the three record files; one JSON result)
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            var options = new Arguments(args.Skip(1));
            switch (args[0])
            {
                case "server": return Server(options);
                case "proxy": return Proxy(options);
                case "bulk":
                    return Emit(options, () => Clients.Bulk(options.Endpoint("target"), options.Int("streams", 1), options.Double("seconds", 4)));
                case "pingpong":
                    return Emit(options, () => Clients.PingPong(options.Endpoint("target"), options.Int("count", 10_000), options.Int("size", 64), options.Int("warmup", 500)));
                case "connrate":
                    return Emit(options, () => Clients.ConnectionRate(options.Endpoint("target"), options.Int("concurrency", 4), options.Double("seconds", 4), options.Int("size", 64)));
                case "idle":
                    return Emit(options, () => Clients.Idle(options.Endpoint("target"), options.Int("count", 1000), options.Double("hold", 3), Console.Out));
                case "soak":
                    return Emit(options, () => SoakClient.Run(options.Endpoint("target"), options.Double("seconds", 60), options.Int("concurrency", 8),
                        options.Long("max-connections", 10_000_000), options.Long("max-bytes", 32L << 20), options.Int("seed", 1), options.String("records")));
                case "soak-check":
                    return Emit(options, () => SoakCheck.Run(options.String("client"), options.String("server"), options.String("proxy"), options.Int("list", 20)));
                default:
                    Console.Error.WriteLine($"Unknown command '{args[0]}'.\n{Usage}");
                    return 2;
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }

    private static int Emit(Arguments options, Func<object> workload)
    {
        object result = workload();
        options.ThrowOnUnused();
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static int Server(Arguments options)
    {
        string kindText = options.String("kind");
        IPEndPoint listen = options.Endpoint("listen", "127.0.0.1:0");
        double lifetime = options.Double("lifetime", 900);
        if (kindText.Equals("soak", StringComparison.OrdinalIgnoreCase)) return SoakServerHost(listen, lifetime, options.String("records"), options);
        ServerKind kind = Enum.Parse<ServerKind>(kindText, ignoreCase: true);
        options.ThrowOnUnused();
        using var server = new LoopbackServer(kind, listen);
        Console.WriteLine($"LISTENING {server.EndPoint}");
        WaitForExit(lifetime);
        return 0;
    }

    private static int SoakServerHost(IPEndPoint listen, double lifetime, string records, Arguments options)
    {
        options.ThrowOnUnused();
        var server = new SoakServer(listen, records);
        Console.WriteLine($"LISTENING {server.EndPoint}");
        WaitForExit(lifetime);
        server.Dispose();   // flushes the records file before the counts below are printed
        Console.WriteLine(JsonSerializer.Serialize(new { server = "soak", accepted = server.Accepted, records = server.Records }));
        return 0;
    }

    private static int Proxy(Arguments options)
    {
        IPEndPoint target = options.Endpoint("target");
        IPEndPoint listen = options.Endpoint("listen", "127.0.0.1:0");
        CopyMode mode = Enum.Parse<CopyMode>(options.String("mode", "Auto"), ignoreCase: true);
        int loops = options.Int("loops", 0);
        double lifetime = options.Double("lifetime", 900);
        options.ThrowOnUnused();
        var observer = new CountingObserver();
        using ProxyServer proxy = ProxyServer.Start(new ProxyOptions([ProxyEndpoint.Parse(listen.ToString())], ProxyEndpoint.Parse(target.ToString()))
        {
            Name = $"loadgen-{mode}",
            CopyMode = mode,
            EventLoopCount = loops,
            DrainTimeout = TimeSpan.FromSeconds(1),
        }, observer);
        Console.WriteLine($"LISTENING {proxy.ListenEndPoints[0]}");
        WaitForExit(lifetime);
        proxy.Stop(TimeSpan.FromSeconds(1));
        Console.Error.WriteLine($"proxy stopped: {observer.Closed} connections closed, engine faults: {observer.Faults}");
        return observer.Faults == 0 ? 0 : 1;
    }

    /// <summary>Blocks until SIGTERM/SIGINT/SIGQUIT or the lifetime ends: a forgotten peer still goes away.</summary>
    private static void WaitForExit(double lifetimeSeconds)
    {
        using var exit = new ManualResetEventSlim();
        void Handler(PosixSignalContext context)
        {
            context.Cancel = true;
            exit.Set();
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handler);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handler);
        using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Handler);
        exit.Wait(TimeSpan.FromSeconds(lifetimeSeconds));
    }

    private sealed class CountingObserver : IProxyObserver
    {
        private long _closed;
        private long _faults;
        public long Closed => Interlocked.Read(ref _closed);
        public long Faults => Interlocked.Read(ref _faults);
        public void OnConnectionClosed(ConnectionStatistics statistics) => Interlocked.Increment(ref _closed);
        public void OnEngineFaulted(Exception error)
        {
            Interlocked.Increment(ref _faults);
            Console.Error.WriteLine($"proxy engine faulted: {error}");
        }
    }
}
