using System.Net;
using System.Net.Sockets;
using Prometheus;

namespace ZeroCopyPS.Engine.Metrics;

/// <summary>
/// Serves the <c>ZeroCopyPS</c> meter as Prometheus text at <c>http://ADDRESS:PORT/metrics</c>, every
/// running proxy of the process labelled proxy=NAME (docs/ARCHITECTURE.md, "Metrics"). prometheus-net
/// writes the exposition and its HttpListener-based MetricServer answers the scrapes. Several proxies may
/// ask for the same address: they share one endpoint, which stops when the last handle is disposed.
/// Start it before the proxies it should describe: counters are complete whenever it starts, histograms
/// count the connections that closed while an endpoint ran.
/// </summary>
public sealed class MetricsEndpoint : IDisposable
{
    private static readonly Dictionary<IPEndPoint, (Server Server, int Handles)> Servers = new();
    private static PrometheusBridge? _bridge;
    private static int _bridgeUsers;

    private readonly Server _server;
    private readonly IPEndPoint _requested;
    private int _disposed;

    private MetricsEndpoint(Server server, IPEndPoint requested)
    {
        _server = server;
        _requested = requested;
    }

    /// <summary>The address served (a requested port 0 resolved to the port chosen).</summary>
    public IPEndPoint EndPoint => _server.EndPoint;

    /// <summary>What a Prometheus scrape config names: http://ADDRESS:PORT/metrics.</summary>
    public string Url => $"http://{Host(EndPoint)}:{EndPoint.Port}/metrics";

    /// <summary>
    /// Starts (or joins) the endpoint at <paramref name="endPoint"/>. Port 0 takes a free port. An any-address
    /// (0.0.0.0 or ::) serves every interface. Throws <see cref="MetricsEndpointException"/> when the address
    /// cannot be served (in use, not local, not permitted).
    /// </summary>
    public static MetricsEndpoint Start(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        lock (Servers)
        {
            if (Servers.TryGetValue(endPoint, out var shared))
            {
                Servers[endPoint] = (shared.Server, shared.Handles + 1);
                return new MetricsEndpoint(shared.Server, endPoint);
            }
            _bridge ??= new PrometheusBridge();
            _bridgeUsers++;
            try
            {
                var server = Server.Start(endPoint, _bridge.Registry);
                Servers[endPoint] = (server, 1);
                return new MetricsEndpoint(server, endPoint);
            }
            catch
            {
                ReleaseBridge();
                throw;
            }
        }
    }

    /// <summary>The exposition a scrape would get now (what the endpoint serves), for tests and diagnostics.</summary>
    public string Render()
    {
        using var stream = new MemoryStream();
        _server.Registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Releases this handle; the last one of an address stops serving it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (Servers)
        {
            var shared = Servers[_requested];
            if (shared.Handles > 1)
            {
                Servers[_requested] = (shared.Server, shared.Handles - 1);
                return;
            }
            Servers.Remove(_requested);
            shared.Server.Stop();
            ReleaseBridge();
        }
    }

    private static void ReleaseBridge()
    {
        if (--_bridgeUsers > 0) return;
        _bridge?.Dispose();
        _bridge = null;
    }

    private static string Host(IPEndPoint endPoint) => endPoint.Address.AddressFamily == AddressFamily.InterNetworkV6
        ? $"[{endPoint.Address}]"
        : endPoint.Address.ToString();

    private sealed class Server
    {
        private readonly MetricServer _http;

        private Server(MetricServer http, IPEndPoint endPoint, CollectorRegistry registry)
        {
            _http = http;
            EndPoint = endPoint;
            Registry = registry;
        }

        public IPEndPoint EndPoint { get; }

        public CollectorRegistry Registry { get; }

        // HttpListener cannot bind port 0: a free port is found by binding one, then handed to it; should
        // another process take it in between, the next free port is tried.
        public static Server Start(IPEndPoint requested, CollectorRegistry registry)
        {
            for (int attempt = 0; ; attempt++)
            {
                int port = requested.Port != 0 ? requested.Port : FreePort(requested.Address);
                bool any = requested.Address.Equals(IPAddress.Any) || requested.Address.Equals(IPAddress.IPv6Any);
                string host = any ? "+" : Host(requested);
                var http = new MetricServer(host, port, "metrics/", registry);
                try
                {
                    http.Start();
                    return new Server(http, new IPEndPoint(requested.Address, port), registry);
                }
                catch (Exception e) when (e is HttpListenerException or SocketException or ObjectDisposedException)
                {
                    http.Dispose();
                    if (requested.Port == 0 && attempt < 5) continue;
                    throw new MetricsEndpointException(requested, e);
                }
            }
        }

        public void Stop()
        {
            try { _http.Stop(); }
            catch (Exception) { } // already failed or stopped: nothing left to release
        }

        private static int FreePort(IPAddress address)
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(address, 0));
            return ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
    }
}
