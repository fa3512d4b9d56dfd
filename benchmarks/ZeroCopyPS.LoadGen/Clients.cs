using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.LoadGen;

/// <summary>The client side of each workload. Blocking sockets with timeouts; every loop is bounded by a count or a deadline.</summary>
internal static class Clients
{
    private static readonly TimeSpan IoTimeout = TimeSpan.FromSeconds(10);

    public static Socket Connect(IPEndPoint target)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            SendTimeout = (int)IoTimeout.TotalMilliseconds,
            ReceiveTimeout = (int)IoTimeout.TotalMilliseconds,
        };
        try
        {
            socket.Connect(target);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Streams to a sink for <paramref name="seconds"/>, then reads the sink's byte count: bytes that really arrived.</summary>
    public static object Bulk(IPEndPoint target, int streams, double seconds)
    {
        long[] received = new long[streams];
        string?[] errors = new string?[streams];
        using var start = new Barrier(streams + 1);
        var threads = new Thread[streams];
        for (int i = 0; i < streams; i++)
        {
            int index = i;
            threads[i] = new Thread(() =>
            {
                byte[] chunk = new byte[256 * 1024];
                try
                {
                    using Socket socket = Connect(target);
                    start.SignalAndWait();
                    long deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
                    while (Stopwatch.GetTimestamp() < deadline)
                    {
                        int sent = 0;
                        while (sent < chunk.Length) sent += socket.Send(chunk, sent, chunk.Length - sent, SocketFlags.None);
                    }
                    socket.Shutdown(SocketShutdown.Send);
                    received[index] = ReadCount(socket);
                }
                catch (Exception e) when (e is SocketException or IOException or BarrierPostPhaseException)
                {
                    errors[index] = e.Message;
                }
            }) { IsBackground = true };
            threads[i].Start();
        }
        start.SignalAndWait(IoTimeout);
        var clock = Stopwatch.StartNew();
        foreach (Thread t in threads) t.Join(TimeSpan.FromSeconds(seconds) + IoTimeout * 2);
        double elapsed = clock.Elapsed.TotalSeconds;
        long total = received.Sum();
        return new
        {
            workload = "bulk",
            streams,
            bytes = total,
            seconds = elapsed,
            mbps = total / elapsed / 1e6,
            errors = errors.Count(e => e is not null),
            firstError = errors.FirstOrDefault(e => e is not null),
        };
    }

    private static long ReadCount(Socket socket)
    {
        Span<byte> count = stackalloc byte[8];
        int got = 0;
        while (got < 8)
        {
            int read = socket.Receive(count[got..], SocketFlags.None);
            if (read == 0) throw new IOException("The sink closed before reporting its byte count.");
            got += read;
        }
        return BinaryPrimitives.ReadInt64LittleEndian(count);
    }

    /// <summary>One connection, <paramref name="count"/> timed round trips of <paramref name="size"/> bytes after a warm-up.</summary>
    public static object PingPong(IPEndPoint target, int count, int size, int warmup)
    {
        using Socket socket = Connect(target);
        byte[] message = new byte[size], reply = new byte[size];
        for (int i = 0; i < warmup; i++) RoundTrip(socket, message, reply);
        long[] samples = new long[count];
        for (int i = 0; i < count; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            RoundTrip(socket, message, reply);
            samples[i] = Stopwatch.GetTimestamp() - t0;
        }
        Array.Sort(samples);
        double Micro(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
        long Rank(double p) => samples[Math.Clamp((int)Math.Ceiling(p * count) - 1, 0, count - 1)];
        return new
        {
            workload = "pingpong",
            size,
            count,
            p50us = Micro(Rank(0.50)),
            p99us = Micro(Rank(0.99)),
            meanus = Micro((long)samples.Average()),
            minus = Micro(samples[0]),
        };
    }

    private static void RoundTrip(Socket socket, byte[] message, byte[] reply)
    {
        int sent = 0;
        while (sent < message.Length) sent += socket.Send(message, sent, message.Length - sent, SocketFlags.None);
        int got = 0;
        while (got < reply.Length)
        {
            int read = socket.Receive(reply, got, reply.Length - got, SocketFlags.None);
            if (read == 0) throw new IOException("The echo closed the connection.");
            got += read;
        }
    }

    /// <summary>Short connections: connect, one <paramref name="size"/>-byte exchange, close; per second over <paramref name="seconds"/>.</summary>
    public static object ConnectionRate(IPEndPoint target, int concurrency, double seconds, int size)
    {
        long completed = 0, failed = 0;
        string? firstError = null;
        long deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, concurrency).Select(_ => new Thread(() =>
        {
            byte[] message = new byte[size], reply = new byte[size];
            while (Stopwatch.GetTimestamp() < deadline)
            {
                try
                {
                    using Socket socket = Connect(target);
                    RoundTrip(socket, message, reply);
                    Interlocked.Increment(ref completed);
                }
                catch (Exception e) when (e is SocketException or IOException)
                {
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                    if (Interlocked.Increment(ref failed) > 1000) return;   // a broken target: stop hammering it
                }
            }
        }) { IsBackground = true }).ToArray();
        foreach (Thread t in threads) t.Start();
        foreach (Thread t in threads) t.Join(TimeSpan.FromSeconds(seconds) + IoTimeout * 2);
        double elapsed = clock.Elapsed.TotalSeconds;
        return new { workload = "connrate", concurrency, completed, failed, seconds = elapsed, perSecond = completed / elapsed, firstError };
    }
}
