using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xunit.Abstractions;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>
/// Two instances on one port, in two processes: the first stops with its drain while a client opens
/// 2,000 connections in a loop (docs/ARCHITECTURE.md, "Seamless restart").
/// </summary>
public class SeamlessRestartTests(ITestOutputHelper output)
{
    private const int Count = 2_000;

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static string[] ProxyArguments(int port, string target, string? handOver) =>
    [
        "--listen", $"127.0.0.1:{port}", "--target", target, "--reuse-port", "true", "--drain", "10",
        .. handOver is null ? Array.Empty<string>() : ["--handover", handOver],
    ];

    [Fact]
    public async Task Hand_over_two_instances_on_one_port_the_first_stopped_with_a_drain_mid_loop_refuses_and_cuts_nothing()
    {
        string handOver = Path.Combine(Path.GetTempPath(), $"zc-ho-{Guid.NewGuid():N}.sock");
        await using var echo = TestServer.Echo(Transport.Tcp4);
        int port = FreePort();
        using var first = ChildHostProcess.Start("proxy", ProxyArguments(port, echo.Endpoint, handOver));
        Assert.EndsWith("ADOPTED 0", first.WaitFor("LISTENING", TimeSpan.FromSeconds(30)));
        Assert.True(File.Exists(handOver));

        var started = new TaskCompletionSource();
        Task<ConnectLoop.Result> loop = ConnectLoop.RunAsync(new IPEndPoint(IPAddress.Loopback, port), Count, concurrency: 4, TimeSpan.FromMinutes(3),
            served => { if (served >= Count / 5) started.TrySetResult(); });
        await started.Task.WaitAsync(TimeSpan.FromMinutes(1));

        // The second instance takes the first one's listening socket; the first hears it and stops with its drain.
        using var second = ChildHostProcess.Start("proxy", ProxyArguments(port, echo.Endpoint, handOver));
        Assert.EndsWith("ADOPTED 1", second.WaitFor("LISTENING", TimeSpan.FromSeconds(30)));
        first.WaitFor("TAKEN", TimeSpan.FromSeconds(10));
        string firstStopped = first.WaitFor("STOPPED", TimeSpan.FromSeconds(30));
        Assert.Equal(0, first.WaitForExit(TimeSpan.FromSeconds(10)));

        ConnectLoop.Result result = await loop;
        second.Send("STOP");
        string secondStopped = second.WaitFor("STOPPED", TimeSpan.FromSeconds(30));
        Assert.Equal(0, second.WaitForExit(TimeSpan.FromSeconds(10)));
        output.WriteLine($"hand-over: {result}; first {firstStopped}; second {secondStopped}");

        Assert.Equal(new ConnectLoop.Result(Count, 0, 0, 0, result.Seconds), result);
        int closed = Closed(firstStopped) + Closed(secondStopped);
        Assert.Equal(Count, closed); // every connection went through one instance or the other, none was stopped
        Assert.DoesNotContain("ProxyStopped", firstStopped);
        Assert.False(File.Exists(handOver)); // the second removed its own hand-over socket at stop
    }

    [Fact]
    public void A_hand_over_path_with_a_users_file_is_refused_and_the_file_kept()
    {
        string path = Path.Combine(Path.GetTempPath(), $"zc-ho-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "mine");
        var options = new ProxyOptions([ProxyEndpoint.Parse("127.0.0.1:0")], ProxyEndpoint.Parse("127.0.0.1:9")) { HandOverPath = path };
        var e = Assert.Throws<ProxyStartException>(() => ProxyServer.Start(options, new RecordingObserver()));
        Assert.Equal(ProxyStartFailure.ListenPathNotASocket, e.Failure);
        Assert.Equal("mine", File.ReadAllText(path));
        File.Delete(path);
    }

    [Fact]
    public void A_users_file_at_the_hand_over_paths_temporary_name_is_refused_and_kept()
    {
        string path = Path.Combine(Path.GetTempPath(), $"zc-ho-{Guid.NewGuid():N}.sock");
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, "mine");
        try
        {
            var options = new ProxyOptions([ProxyEndpoint.Parse("127.0.0.1:0")], ProxyEndpoint.Parse("127.0.0.1:9")) { HandOverPath = path };
            var e = Assert.Throws<ProxyStartException>(() => ProxyServer.Start(options, new RecordingObserver()));
            Assert.Equal(ProxyStartFailure.ListenPathNotASocket, e.Failure);
            Assert.Equal("mine", File.ReadAllText(temporary));
            Assert.False(File.Exists(path));
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static int Closed(string stoppedLine) =>
        JsonSerializer.Deserialize<Dictionary<string, int>>(stoppedLine["STOPPED ".Length..])!.Values.Sum();
}
