using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.LoadGen;

/// <summary>
/// The "idle" command: opens <c>count</c> connections to an echo target (through a proxy), proves each is
/// served with one byte there and back (the byte is the connection's own, so a reply that belongs to
/// another connection is caught), prints "READY n", holds them, then closes them all (FIN) and prints one
/// JSON line. Opening runs on <c>concurrency</c> threads; each client socket may be bound to one of several
/// source addresses (127.0.0.2, 127.0.0.3, ...) so that more connections than one address has ephemeral
/// ports (about 28,000) can reach one proxy port. Every step is bounded: a connect or a reply that takes
/// longer than <see cref="IoTimeout"/> stops the opening, and the result says so.
/// </summary>
internal static class IdleClients
{
    private static readonly TimeSpan IoTimeout = TimeSpan.FromSeconds(10);

    /// <param name="holdSeconds">How long to hold when not controlled.</param>
    /// <param name="control">Hold until "CLOSE" (or EOF, EXIT, a signal) on standard input instead of for <paramref name="holdSeconds"/>.</param>
    public static object Run(EndPoint target, int count, double holdSeconds, int concurrency, IPAddress[] sources, bool control, double lifetimeSeconds)
    {
        var sockets = new Socket?[count];
        int next = -1, opened = 0;
        string? error = null;
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, Math.Clamp(concurrency, 1, 256)).Select(_ => new Thread(() =>
        {
            byte[] one = new byte[1], back = new byte[1];
            int i;
            while (Volatile.Read(ref error) is null && (i = Interlocked.Increment(ref next)) < count)
            {
                Socket? socket = null;
                try
                {
                    socket = Open(target, sources.Length == 0 ? null : sources[i % sources.Length]);
                    one[0] = (byte)i;
                    if (socket.Send(one) != 1) throw new IOException("send took no byte");
                    int got = socket.Receive(back);
                    if (got != 1) throw new IOException($"connection {i}: the echo closed instead of answering");
                    if (back[0] != one[0]) throw new IOException($"connection {i}: sent byte {one[0]}, the echo answered {back[0]}");
                    sockets[i] = socket;
                    socket = null;
                    Interlocked.Increment(ref opened);
                }
                catch (Exception e) when (e is SocketException or IOException or TimeoutException)
                {
                    Interlocked.CompareExchange(ref error, $"connection {i}: {e.Message}", null);
                }
                finally
                {
                    socket?.Dispose();
                }
            }
        }) { IsBackground = true, Name = "idle opener" }).ToArray();
        foreach (Thread t in threads) t.Start();
        foreach (Thread t in threads) t.Join();
        double openSeconds = clock.Elapsed.TotalSeconds;

        Console.Out.WriteLine($"READY {opened}");
        Console.Out.Flush();
        if (control) ControlChannel.Serve(command => command == "STATUS" ? $"OPEN {opened}" : null, lifetimeSeconds, endWord: "CLOSE");
        else Thread.Sleep(TimeSpan.FromSeconds(holdSeconds));

        clock.Restart();
        foreach (Socket? s in sockets) s?.Dispose();
        double closeSeconds = clock.Elapsed.TotalSeconds;
        return new { workload = "idle", requested = count, opened, error, openSeconds, closeSeconds, sources = sources.Length };
    }

    // A connect bounded in time: nonblocking connect, then a wait for writability (a proxy that stopped
    // accepting would otherwise hold a blocking connect for the kernel's SYN retries, about two minutes).
    private static Socket Open(EndPoint target, IPAddress? source)
    {
        bool unix = target is UnixDomainSocketEndPoint;
        var socket = new Socket(target.AddressFamily, SocketType.Stream, unix ? ProtocolType.Unspecified : ProtocolType.Tcp)
        {
            SendTimeout = (int)IoTimeout.TotalMilliseconds,
            ReceiveTimeout = (int)IoTimeout.TotalMilliseconds,
        };
        try
        {
            if (!unix) socket.NoDelay = true;
            if (source is not null) socket.Bind(new IPEndPoint(source, 0));
            socket.Blocking = false;
            try
            {
                socket.Connect(target);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                if (!socket.Poll(IoTimeout, SelectMode.SelectWrite))
                    throw new TimeoutException($"connect to {target} took longer than {IoTimeout.TotalSeconds} s");
                var pending = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                if (pending != SocketError.Success) throw new SocketException((int)pending);
            }
            socket.Blocking = true;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
