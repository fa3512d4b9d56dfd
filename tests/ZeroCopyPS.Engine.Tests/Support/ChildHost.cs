using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace ZeroCopyPS.Engine.Tests.Support;

/// <summary>
/// This test assembly doubles as a small host, so that tests can run proxies (and peers) in processes of
/// their own: <c>dotnet ZeroCopyPS.Engine.Tests.dll --zerocopyps-child MODE ...</c>. A module initializer
/// runs before the (empty) generated entry point and acts only on that marker, so the test runner
/// loading this assembly is unaffected. Modes: proxy (stdin: STOP; prints LISTENING, TAKEN, STOPPED),
/// echo (prints LISTENING; ends when stdin closes), loop (a bounded connection loop; prints one JSON line).
/// Everything stays on loopback and ends by itself within --lifetime seconds.
/// </summary>
public static class ChildHost
{
    public const string Marker = "--zerocopyps-child";

    [ModuleInitializer]
    internal static void RunIfChild()
    {
        string[] args = Environment.GetCommandLineArgs();
        int at = Array.IndexOf(args, Marker);
        if (at < 0) return;
        var options = new Dictionary<string, string>();
        for (int i = at + 2; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
        // The host runs on a foreground thread of its own: the process lives on after the (empty) entry
        // point returns, and this initializer returns at once, so no other thread ever waits for it.
        new Thread(() =>
        {
            int code = args[at + 1] switch
            {
                "proxy" => Proxy(options),
                "echo" => Echo(options),
                "loop" => Loop(options).GetAwaiter().GetResult(),
                _ => 2,
            };
            Console.Out.Flush();
            Environment.Exit(code);
        }) { IsBackground = false, Name = "child host" }.Start();
    }

    private static int Proxy(Dictionary<string, string> o)
    {
        var observer = new RecordingObserver();
        var options = new ProxyOptions([ProxyEndpoint.Parse(o["listen"])], ProxyEndpoint.Parse(o["target"]))
        {
            Name = o.GetValueOrDefault("name", "child"),
            ReusePort = o.GetValueOrDefault("reuse-port") == "true",
            HandOverPath = o.GetValueOrDefault("handover"),
            DrainTimeout = TimeSpan.FromSeconds(double.Parse(o.GetValueOrDefault("drain", "10"))),
        };
        using ProxyServer proxy = ProxyServer.Start(options, observer);
        Console.WriteLine($"LISTENING {proxy.ListenEndPoints[0]} ADOPTED {proxy.ListenersTakenOver}");
        var stop = new ManualResetEventSlim();
        using var taken = proxy.ListenersHandedOver.Register(() => { Console.WriteLine("TAKEN"); stop.Set(); });
        var stdin = new Thread(() => { while (Console.ReadLine() is { } line && line != "STOP") { } stop.Set(); }) { IsBackground = true };
        stdin.Start();
        stop.Wait(TimeSpan.FromSeconds(double.Parse(o.GetValueOrDefault("lifetime", "120"))));
        proxy.Stop();
        var reasons = observer.TryTakeAll().GroupBy(s => s.CloseReason.ToString()).ToDictionary(g => g.Key, g => g.Count());
        Console.WriteLine($"STOPPED {JsonSerializer.Serialize(reasons)}");
        return observer.Faults.IsEmpty ? 0 : 1;
    }

    private static int Echo(Dictionary<string, string> o)
    {
        var listen = IPEndPoint.Parse(o.GetValueOrDefault("listen", "127.0.0.1:0"));
        var echo = new TestServer(listen, async (socket, token) =>
        {
            byte[] buffer = new byte[64 * 1024];
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
                await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, token);
            socket.Shutdown(SocketShutdown.Send);
        });
        Console.WriteLine($"LISTENING {echo.Endpoint}");
        var closed = new ManualResetEventSlim();
        new Thread(() => { while (Console.ReadLine() is not null) { } closed.Set(); }) { IsBackground = true }.Start();
        closed.Wait(TimeSpan.FromSeconds(double.Parse(o.GetValueOrDefault("lifetime", "120"))));
        echo.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        return 0;
    }

    private static async Task<int> Loop(Dictionary<string, string> o)
    {
        var result = await ConnectLoop.RunAsync(IPEndPoint.Parse(o["target"]), int.Parse(o.GetValueOrDefault("count", "2000")),
            int.Parse(o.GetValueOrDefault("concurrency", "4")), TimeSpan.FromSeconds(double.Parse(o.GetValueOrDefault("lifetime", "120"))),
            served => { if (served == int.Parse(o.GetValueOrDefault("count", "2000")) / 5) Console.WriteLine($"PROGRESS {served}"); });
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }
}
