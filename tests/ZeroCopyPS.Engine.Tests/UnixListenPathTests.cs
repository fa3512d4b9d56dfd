using System.Diagnostics;
using System.Net.Sockets;
using ZeroCopyPS.Engine;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>
/// The product never removes or overwrites a file that is not a socket it created. Before the fix a
/// listen path's regular file, FIFO, symlink or another proxy's socket was replaced, and stop deleted
/// whatever was at the path by then.
/// </summary>
public sealed class UnixListenPathTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("zc-path-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<EngineKind, string> NotSockets()
    {
        var data = new TheoryData<EngineKind, string>();
        foreach (EngineKind engine in new[] { EngineKind.Epoll, EngineKind.Managed })
            foreach (string kind in new[] { "file", "fifo", "symlink", "directory" })
                data.Add(engine, kind);
        return data;
    }

    [Theory]
    [MemberData(nameof(NotSockets))]
    public void Listen_on_a_path_that_is_not_a_socket_fails_and_leaves_it_alone(EngineKind engine, string kind)
    {
        string path = Path.Combine(_directory, "p.sock");
        string file = Path.Combine(_directory, "content.txt");
        File.WriteAllText(file, "precious");
        switch (kind)
        {
            case "file": File.WriteAllText(path, "precious"); break;
            case "fifo": Run("mkfifo", path); break;
            case "symlink": File.CreateSymbolicLink(path, file); break;
            case "directory": Directory.CreateDirectory(path); break;
        }
        string before = Describe(path);

        var error = Assert.Throws<ProxyStartException>(() => StartOn(path, engine));

        Assert.Equal(ProxyStartFailure.ListenPathNotASocket, error.Failure);
        Assert.Equal(before, Describe(path));
        Assert.Equal("precious", File.ReadAllText(file));
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public void A_stale_socket_file_is_replaced(EngineKind engine)
    {
        string path = Path.Combine(_directory, "p.sock");
        MakeStaleSocket(path);
        using ProxyServer server = StartOn(path, engine);
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public void A_live_listener_with_a_full_backlog_is_reported_in_use_at_once(EngineKind engine)
    {
        // Before the fix the stale-file probe was a blocking connect: Start hung for ever, deaf to Ctrl+C.
        string path = Path.Combine(_directory, "live.sock");
        using var live = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        live.Bind(new UnixDomainSocketEndPoint(path));
        live.Listen(1);
        var fillers = new List<Socket>();
        try
        {
            for (int i = 0; i < 64; i++)
            {
                var filler = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
                fillers.Add(filler);
                try { filler.Connect(new UnixDomainSocketEndPoint(path)); }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.TryAgain) { break; }
            }
            var stopwatch = Stopwatch.StartNew();
            Task<ProxyStartException> start = Task.Run(() => Assert.Throws<ProxyStartException>(() => StartOn(path, engine)));
            Assert.True(start.Wait(TimeSpan.FromSeconds(10)), "Start did not return within 10 s"); // the bug was a hang
            Assert.Equal(ProxyStartFailure.AddressInUse, start.Result.Failure);
            Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
            Assert.True(File.Exists(path));
        }
        finally
        {
            foreach (Socket filler in fillers) filler.Dispose();
        }
    }

    [Theory]
    [InlineData(EngineKind.Epoll, false)]
    [InlineData(EngineKind.Epoll, true)]
    [InlineData(EngineKind.Managed, false)]
    [InlineData(EngineKind.Managed, true)]
    public void Stop_removes_only_the_socket_it_created(EngineKind engine, bool replaceWithSocket)
    {
        string path = Path.Combine(_directory, "p.sock");
        ProxyServer server = StartOn(path, engine);
        File.Delete(path);
        using var other = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        if (replaceWithSocket)
        {
            other.Bind(new UnixDomainSocketEndPoint(path));
            other.Listen(1);
        }
        else File.WriteAllText(path, "someone else's");
        string before = Describe(path);

        server.Stop(TimeSpan.Zero);

        Assert.Equal(before, Describe(path));
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public void Stop_removes_its_own_socket_file(EngineKind engine)
    {
        string path = Path.Combine(_directory, "p.sock");
        ProxyServer server = StartOn(path, engine);
        Assert.True(File.Exists(path));
        server.Stop(TimeSpan.Zero);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData(EngineKind.Epoll, 0b110_110_000, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite)]
    [InlineData(EngineKind.Managed, 0b110_000_000, UnixFileMode.UserRead | UnixFileMode.UserWrite)]
    [InlineData(EngineKind.Epoll, 0b110_110_110, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)]
    public void The_socket_file_gets_the_configured_mode(EngineKind engine, int mode, UnixFileMode expected)
    {
        string path = Path.Combine(_directory, "p.sock");
        using ProxyServer server = StartOn(path, engine, mode);
        Assert.Equal(expected, File.GetUnixFileMode(path));
    }

    [Fact]
    public void The_default_mode_is_0660()
    {
        string path = Path.Combine(_directory, "p.sock");
        using ProxyServer server = StartOn(path, EngineKind.Epoll);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(path));
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public void A_missing_directory_is_named_as_such(EngineKind engine)
    {
        var error = Assert.Throws<ProxyStartException>(() => StartOn(Path.Combine(_directory, "no", "such", "p.sock"), engine));
        Assert.Equal(ProxyStartFailure.ListenDirectoryNotFound, error.Failure);
        Assert.Contains("does not exist", error.Message);
    }

    private static ProxyServer StartOn(string path, EngineKind engine, int? mode = null)
    {
        var options = new ProxyOptions([ProxyEndpoint.Parse("unix:" + path)], ProxyEndpoint.Parse("127.0.0.1:9"))
        {
            Engine = engine,
            UnixSocketMode = mode ?? new ProxyOptions([ProxyEndpoint.Parse("1")], ProxyEndpoint.Parse("2")).UnixSocketMode,
        };
        return ProxyServer.Start(options, new RecordingObserver());
    }

    // A socket bound natively and closed without unlink: what a proxy that died leaves behind.
    private static void MakeStaleSocket(string path)
    {
        var socket = new Socket(new SafeSocketHandle(NativeSocketForTests.BindUnix(path), ownsHandle: true));
        socket.Dispose();
        Assert.True(File.Exists(path));
    }

    private static string Describe(string path)
    {
        var info = new FileInfo(path);
        string target = info.LinkTarget ?? "";
        return $"{info.Attributes}|{(info.Exists ? info.Length : -1)}|{target}|{Run("stat", "-c", "%i %F", path)}";
    }

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output.Trim();
    }
}
