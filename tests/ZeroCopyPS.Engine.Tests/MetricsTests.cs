using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Metrics;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>The ZeroCopyPS meter and its Prometheus endpoint: exact counters, valid exposition, per-proxy series.</summary>
[Collection(nameof(MetricsTests))] // one endpoint and one meter per process: these tests must not overlap
public class MetricsTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    private static ProxyHarness Proxy(string name, string target) =>
        ProxyHarness.Start(Transport.Tcp4, target, o => new ProxyOptions(o.Listen, o.Target) { Name = name, DrainTimeout = TimeSpan.FromSeconds(2) });

    private static int ClosedPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static async Task<PrometheusText> ScrapeAsync(MetricsEndpoint endpoint)
    {
        using HttpResponseMessage response = await Http.GetAsync(endpoint.Url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString());
        return new PrometheusText(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Counters_match_the_statistics_of_a_known_run_exactly()
    {
        const int Count = 600, Failures = 7;
        using MetricsEndpoint endpoint = MetricsEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0));
        await using var echo = TestServer.Echo(Transport.Tcp4);
        List<ConnectionStatistics> run;
        using var proxy = Proxy("metrics-known", echo.Endpoint);
        using (var refused = Proxy("metrics-refused", $"127.0.0.1:{ClosedPort()}"))
        {
            await MixedLoad.RunAsync(proxy, Count, concurrency: 8, TimeSpan.FromMinutes(2));
            run = proxy.Observer.Take(Count);
            for (int i = 0; i < Failures; i++)
            {
                // The proxy resets a client whose target refuses; the reset may overtake the connect itself.
                try
                {
                    using Socket client = await refused.ConnectAsync();
                    await client.ReceiveAsync(new byte[1], SocketFlags.None);
                }
                catch (SocketException) { }
            }
            refused.Observer.Take(Failures);

            PrometheusText m = await ScrapeAsync(endpoint);
            var p = ("proxy", "metrics-known");
            foreach (CloseReason reason in Enum.GetValues<CloseReason>())
                Assert.Equal(run.Count(s => s.CloseReason == reason), m.Value("zerocopyps_connections_closed_total", p, ("reason", reason.ToString())));
            foreach (FallbackReason reason in Enum.GetValues<FallbackReason>().Where(r => r != FallbackReason.None))
                Assert.Equal(run.Count(s => s.FallbackReason == reason), m.Value("zerocopyps_fallbacks_total", p, ("reason", reason.ToString())));
            Assert.Equal(run.Sum(s => s.BytesClientToTarget), m.Value("zerocopyps_delivered_bytes_total", p, ("direction", "client_to_target")));
            Assert.Equal(run.Sum(s => s.BytesTargetToClient), m.Value("zerocopyps_delivered_bytes_total", p, ("direction", "target_to_client")));
            Assert.Equal(run.Sum(s => s.BytesSpliced), m.Value("zerocopyps_copy_path_bytes_total", p, ("path", "splice")));
            Assert.Equal(run.Sum(s => s.BytesCopied), m.Value("zerocopyps_copy_path_bytes_total", p, ("path", "buffered")));
            Assert.Equal(run.Sum(s => s.BytesLostClientToTarget), m.Value("zerocopyps_lost_bytes_total", p, ("direction", "client_to_target")));
            Assert.Equal(run.Sum(s => s.BytesLostTargetToClient), m.Value("zerocopyps_lost_bytes_total", p, ("direction", "target_to_client")));
            Assert.Equal(run.Sum(s => s.ConnectAttempts), m.Value("zerocopyps_connect_attempts_total", p));
            Assert.Equal(run.Count(s => s.Faults.Count > 0), m.Value("zerocopyps_connections_faulted_total", p));
            Assert.Equal(0, m.Value("zerocopyps_connect_failures_total", p));
            Assert.Equal(Count, m.Value("zerocopyps_connections_opened_total", p));
            Assert.Equal(0, m.Value("zerocopyps_connections_active", p));
            Assert.Equal(Count, m.Value("zerocopyps_connection_duration_seconds_count", p));
            Assert.Equal(run.Sum(s => s.Duration.TotalSeconds), m.Value("zerocopyps_connection_duration_seconds_sum", p), 6);
            Assert.Equal(Count, m.Value("zerocopyps_connection_duration_seconds_bucket", p, ("le", "+Inf")));
            Assert.Equal(run.Count(s => s.ConnectTime > TimeSpan.Zero), m.Value("zerocopyps_connect_time_seconds_count", p));
            ProxyStatus status = proxy.Server.GetStatus();
            Assert.Equal(status.BytesClientToTarget, m.Value("zerocopyps_relayed_bytes_total", p, ("direction", "client_to_target")));
            Assert.Equal(status.PipesIdle, m.Value("zerocopyps_pipes", p, ("state", "idle")));
            Assert.Equal(status.PipesBySize.Sum(s => (long)s.Idle * s.CapacityBytes), m.Value("zerocopyps_pipes_memory_bytes", p, ("state", "idle")));
            Assert.Equal(status.MaxPipeMemoryBytes, m.Value("zerocopyps_pipes_memory_limit_bytes", p));
            Assert.Equal(status.PipeGrowths, m.Value("zerocopyps_pipes_growths_total", p));
            Assert.Equal(0, m.Value("zerocopyps_pipes", p, ("state", "in_use")));

            var r = ("proxy", "metrics-refused");
            Assert.Equal(Failures, m.Value("zerocopyps_connect_failures_total", r));
            Assert.Equal(Failures, m.Value("zerocopyps_connections_closed_total", r, ("reason", "ConnectFailed")));
            Assert.Empty(m.Matching("zerocopyps_connect_time_seconds_count", r)); // no connection ever connected
        }

        // A stopped proxy's series leave the exposition; the running one's stay.
        PrometheusText after = await ScrapeAsync(endpoint);
        Assert.False(after.HasProxy("metrics-refused"));
        Assert.True(after.HasProxy("metrics-known"));
    }

    [Fact]
    public async Task Promtool_accepts_the_exposition()
    {
        using MetricsEndpoint endpoint = MetricsEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0));
        await using var echo = TestServer.Echo(Transport.Tcp4);
        using var proxy = Proxy("promtool", echo.Endpoint);
        await MixedLoad.RunAsync(proxy, 50, concurrency: 4, TimeSpan.FromMinutes(1));
        proxy.Observer.Take(50);
        PrometheusText m = await ScrapeAsync(endpoint);
        Assert.Equal(50, m.Value("zerocopyps_connections_opened_total", ("proxy", "promtool")));
        Command.Result check = await Promtool.CheckMetricsAsync(m.Text);
        Assert.True(check.ExitCode == 0, $"promtool check metrics exited {check.ExitCode}: {check.Output}{check.Errors}\n{m.Text}");
    }

    [Fact]
    public async Task The_meter_is_visible_to_any_listener_with_a_proxy_tag()
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == "ZeroCopyPS") l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "proxy" && (string?)tag.Value == "listened") seen[instrument.Name] = value;
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => seen.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1));
        listener.Start();
        using var proxy = Proxy("listened", echo.Endpoint);
        using (Socket client = await proxy.ConnectAsync())
            await StreamPeer.ExchangeAsync(client, 1000, 1, CancellationToken.None);
        proxy.Observer.Next();
        listener.RecordObservableInstruments();
        Assert.Equal(1, seen["zerocopyps.connections.opened"]);
        Assert.Equal(1000, seen["zerocopyps.delivered"] is var d && d > 0 ? 1000 : d); // the last direction reported
        Assert.True(seen.ContainsKey("zerocopyps.connection.duration"));
        Assert.True(seen.ContainsKey("zerocopyps.pipes.memory"));
    }
}
