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
        ZeroCopyPS.LoadGen <command> [--option value ...]   (loopback addresses only; ENDPOINT: IP:PORT or unix:/path)
          server   --kind echo|sink|soak [--listen 127.0.0.1:0] [--lifetime 900] [--records FILE]  (soak: --records required)
          server   --kind echo-async [--listen ENDPOINT] [--backlog 4096] [--lifetime 900] [--control none|stdin]
                   (async sockets: many idle connections; stdin commands STATUS, EXIT)
          proxy    --target ENDPOINT [--mode Auto|Splice|Buffered] [--engine Auto|Epoll|Managed] [--listen 127.0.0.1:0]
                   [--loops 0] [--max-connections 10000] [--backlog 511] [--idle-timeout 3600] [--lifetime 900]
                   [--pipe-size 1048576]         (the cap of adaptive pipe growth; 65536: the kernel's fixed default)
                   [--control none|stdin]        (stdin commands STATUS, GC, CPU, COUNTS, FDS, EXIT; one line of answer each)
          bulk     --target IP:PORT [--streams 1] [--seconds 4]          (target: a sink)
          pingpong --target IP:PORT [--count 10000] [--size 64] [--warmup 500]   (target: an echo)
          connrate --target IP:PORT [--seconds 4] [--concurrency 4] [--size 64]  (target: an echo)
          pipeline --target IP:PORT [--connections 50] [--depth 16] [--size 30] [--seconds 4] [--max-requests 1000000000]
                   (target: an echo; batches of --depth requests in one write per connection, like redis-benchmark -P 16)
          idle     --target ENDPOINT [--count 1000] [--hold 3] [--concurrency 1] [--bind 127.0.0.2,127.0.0.3]
                   [--control none|stdin] [--lifetime 900]
                   (target: an echo; one byte there and back per connection, prints READY n; with --control stdin
                    holds until CLOSE, else for --hold seconds; then closes all and prints a JSON line)
          soak     --target IP:PORT --records FILE [--seconds 60] [--concurrency 8] [--max-connections 10000000]
                   [--max-bytes 33554432] [--seed 1]                     (target: a soak server; a JSON line per connection)
          soak-check --client FILE --server FILE --proxy FILE [--list 20]  (joins the three record files; one JSON result)
          scale accept   [--engines Epoll,Managed] [--loops 1,2] [--clients 1,4,16] [--seconds 5] [--repeats 3] [--size 64] [--direct yes]
          scale idle-cpu [--engine Epoll] [--connections 1000,9000] [--idle-timeout 3600] [--sample-seconds 30]
                         [--settle-seconds 10] [--expire-timeout 0] [--loops 0] [--repeats 1]
                   (benchmarks, each party a child process; docs/benchmarks.md section 6)
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
            if (args[0] == "scale") return ScaleBench.Run(args.Skip(1).ToArray());
            var options = new Arguments(args.Skip(1));
            switch (args[0])
            {
                case "server": return Server(options);
                case "proxy": return ProxyHost.Run(options);
                case "bulk":
                    return Emit(options, () => Clients.Bulk(options.Endpoint("target"), options.Int("streams", 1), options.Double("seconds", 4)));
                case "pingpong":
                    return Emit(options, () => Clients.PingPong(options.Endpoint("target"), options.Int("count", 10_000), options.Int("size", 64), options.Int("warmup", 500)));
                case "connrate":
                    return Emit(options, () => Clients.ConnectionRate(options.Endpoint("target"), options.Int("concurrency", 4), options.Double("seconds", 4), options.Int("size", 64)));
                case "pipeline":
                    return Emit(options, () => PipelinedClient.Run(options.Endpoint("target"), options.Int("connections", 50), options.Int("depth", 16),
                        options.Int("size", 30), options.Double("seconds", 4), options.Long("max-requests", 1_000_000_000)));
                case "idle":
                    return Emit(options, () => IdleClients.Run(options.StreamEndpoint("target"), options.Int("count", 1000), options.Double("hold", 3),
                        options.Int("concurrency", 1), options.Addresses("bind"), ProxyHost.ControlMode(options), options.Double("lifetime", 900)));
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
        if (kindText.Equals("echo-async", StringComparison.OrdinalIgnoreCase)) return AsyncEchoHost(options);
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

    // STATUS answers {"accepted":n,"open":n,"failed":n}.
    private static int AsyncEchoHost(Arguments options)
    {
        EndPoint listen = options.StreamEndpoint("listen", "127.0.0.1:0");
        int backlog = options.Int("backlog", 4096);
        double lifetime = options.Double("lifetime", 900);
        bool control = ProxyHost.ControlMode(options);
        options.ThrowOnUnused();
        using var server = new AsyncEchoServer(listen, backlog);
        Console.WriteLine($"LISTENING {server.EndPointText}");
        string? Answer(string command) => command == "STATUS"
            ? JsonSerializer.Serialize(new { accepted = server.Accepted, open = server.Open, failed = server.Failed })
            : null;
        if (control) ControlChannel.Serve(Answer, lifetime);
        else WaitForExit(lifetime);
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

    /// <summary>Blocks until SIGTERM/SIGINT/SIGQUIT or the lifetime ends: a forgotten peer still goes away.</summary>
    internal static void WaitForExit(double lifetimeSeconds)
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
}
