using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine;
using ZeroCopyPS.Engine.Tests.Support;
using ZeroCopyPS.LoadGen;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>
/// The load generator's pipelined workload (ZeroCopyPS.LoadGen pipeline, a figure of scripts/Compare-Peers.ps1):
/// 50 connections with 16 requests of 30 bytes in flight on each. It must count exactly the requests whose
/// echo came back intact, stop at its request budget and at its deadline, and the proxy must carry every
/// byte of it in both engines.
/// </summary>
public class PipelinedLoadTests
{
    private const int Connections = 50;
    private const int Depth = 16;
    private const int RequestBytes = 30;
    private const long Budget = Connections * Depth * 20L;   // 20 batches per connection if shared evenly
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    public static TheoryData<EngineKind> Engines => new() { EngineKind.Epoll, EngineKind.Managed };

    [Fact]
    public async Task Counts_every_request_of_a_budget_against_an_echo()
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);

        PipelineResult result = PipelinedClient.Run(IPEndPoint.Parse(echo.Endpoint), Connections, Depth, RequestBytes, seconds: 60, Budget);

        Assert.Equal((0, (string?)null), (result.Errors, result.FirstError));
        Assert.Equal(Connections, result.Connected);
        Assert.Equal(Budget, result.Requests);
        Assert.Equal(Budget / Depth, result.Batches);
        Assert.Equal(0, result.Mismatches);
        Assert.True(result.RequestsPerSecond > 0 && result.BatchP50Microseconds > 0 && result.BatchP99Microseconds >= result.BatchP50Microseconds);
        // The echo read exactly the requests' bytes: none lost, none sent twice.
        await Eventually.TrueAsync(() => echo.Completed == Connections, Settle, "the echo server to see every connection's end");
        Assert.Equal(Budget * RequestBytes, echo.BytesReceived);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Through_the_proxy_every_request_arrives_and_returns(EngineKind engine)
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        using var proxy = ProxyHarness.Start(Transport.Tcp4, echo.Endpoint, engine: engine);

        PipelineResult result = PipelinedClient.Run((IPEndPoint)proxy.ListenEndPoint, Connections, Depth, RequestBytes, seconds: 60, Budget);

        Assert.Equal((0, (string?)null), (result.Errors, result.FirstError));
        Assert.Equal((Budget, 0L), (result.Requests, result.Mismatches));
        List<ConnectionStatistics> closed = proxy.Observer.Take(Connections, Settle);
        Assert.Equal(Budget * RequestBytes, closed.Sum(s => s.BytesClientToTarget));
        Assert.Equal(Budget * RequestBytes, closed.Sum(s => s.BytesTargetToClient));
    }

    [Fact]
    public async Task A_corrupted_echo_counts_mismatches_not_requests()
    {
        // Echoes every byte plus one: every batch comes back complete but different.
        await using var target = new TestServer(Transport.Tcp4, async (socket, token) =>
        {
            byte[] buffer = new byte[4096];
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
            {
                for (int i = 0; i < read; i++) buffer[i]++;
                for (int sent = 0; sent < read;) sent += await socket.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, token);
            }
            socket.Shutdown(SocketShutdown.Send);
        });

        PipelineResult result = PipelinedClient.Run(IPEndPoint.Parse(target.Endpoint), connections: 4, Depth, RequestBytes, seconds: 60, maxRequests: 4 * Depth * 5);

        Assert.Equal(0, result.Requests);
        Assert.Equal(4 * 5, result.Batches);
        Assert.Equal(4 * 5, result.Mismatches);
        Assert.Equal(0, result.Errors);
    }

    [Fact]
    public async Task Stops_at_its_deadline_with_whole_batches()
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);

        PipelineResult result = PipelinedClient.Run(IPEndPoint.Parse(echo.Endpoint), connections: 8, Depth, RequestBytes, seconds: 1, maxRequests: long.MaxValue / 2);

        Assert.Equal(0, result.Errors);
        Assert.True(result.Requests > 0, "no request was answered in 1 s");
        Assert.Equal(result.Batches * Depth, result.Requests);
        // No batch starts after the deadline; the last ones still in flight then take a round trip, not seconds.
        Assert.InRange(result.Seconds, 1, 6);
    }

    [Fact]
    public void Refuses_out_of_range_settings_naming_the_option()
    {
        var target = new IPEndPoint(IPAddress.Loopback, 9);
        Assert.Contains("--connections", Assert.Throws<ArgumentException>(() => PipelinedClient.Run(target, 0, Depth, RequestBytes, 1, 1)).Message);
        Assert.Contains("--depth", Assert.Throws<ArgumentException>(() => PipelinedClient.Run(target, 1, 0, RequestBytes, 1, 1)).Message);
        Assert.Contains("--size", Assert.Throws<ArgumentException>(() => PipelinedClient.Run(target, 1, Depth, 0, 1, 1)).Message);
        Assert.Contains("--seconds", Assert.Throws<ArgumentException>(() => PipelinedClient.Run(target, 1, Depth, RequestBytes, 0, 1)).Message);
        Assert.Contains("--max-requests", Assert.Throws<ArgumentException>(() => PipelinedClient.Run(target, 1, Depth, RequestBytes, 1, 0)).Message);
    }
}
