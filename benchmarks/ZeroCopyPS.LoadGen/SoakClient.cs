using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ZeroCopyPS.LoadGen;

/// <summary>
/// The soak client: --concurrency threads, each running one connection after another until --seconds have
/// passed (or --max-connections were opened), each connection one exchange of a randomly chosen kind. Every
/// connection writes one JSON line: tag, kind, local port (what the proxy reports as ClientEndPoint), a
/// connect sequence number and time (order and pair the connections that reused one port), bytes sent and received, whether
/// the received content was right, and the error that ended it. Sizes are log-uniform, so KiB messages and
/// tens of MiB both occur often. Blocking sockets with timeouts: every exchange ends on its own.
/// </summary>
internal static class SoakClient
{
    private static readonly TimeSpan IoTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Kinds and their weights: many short exchanges, bulk both ways, half-closes, aborts, slow readers.</summary>
    private static readonly (string Kind, int Weight)[] Mix =
    [
        ("short", 44), ("upload", 12), ("download", 12), ("halfclose", 12),
        ("abort-upload", 6), ("abort-download", 6), ("slow-reader", 4), ("slow-server", 4),
    ];

    private static readonly string[] Kinds = Mix.SelectMany(m => Enumerable.Repeat(m.Kind, m.Weight)).ToArray();

    private static long _nextTag, _connectSequence;

    public static object Run(IPEndPoint target, double seconds, int concurrency, long maxConnections, long maxBytes, int seed, string recordsPath)
    {
        if (maxBytes < 128 * 1024) throw new ArgumentException("--max-bytes must be at least 128 KiB.");
        using var records = new JsonLinesWriter(recordsPath);
        long deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        // SIGTERM/SIGINT end the run early but cleanly: no new connection, the open ones finish, records flushed.
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            Interlocked.Exchange(ref deadline, 0);
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        var perKind = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        long bytesSent = 0, bytesReceived = 0, errors = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, concurrency).Select(worker => new Thread(() =>
        {
            var random = new Random(seed * 1_000 + worker);
            byte[] buffer = new byte[SoakProtocol.MaxChunk];
            while (Stopwatch.GetTimestamp() < Interlocked.Read(ref deadline))
            {
                long tag = Interlocked.Increment(ref _nextTag);
                if (tag > maxConnections) return;
                string kind = Kinds[random.Next(Kinds.Length)];
                var r = new Exchange(tag, kind);
                r.StartMs = clock.Elapsed.TotalMilliseconds;
                try
                {
                    RunExchange(target, r, random, buffer, maxBytes);
                }
                catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
                {
                    r.Error = SoakProtocol.Describe(e);
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, $"{kind} #{tag}: {r.Error}", null);
                }
                r.Ms = clock.Elapsed.TotalMilliseconds - r.StartMs;
                perKind.AddOrUpdate(kind, 1, (_, n) => n + 1);
                Interlocked.Add(ref bytesSent, r.Sent);
                Interlocked.Add(ref bytesReceived, r.Received);
                records.Write(new
                {
                    tag, kind, port = r.Port, seq = r.Sequence, connectedAt = r.ConnectedAt, sent = r.Sent, sendUnknown = r.SendUnknown, received = r.Received,
                    contentOk = r.ContentOk, error = r.Error, startMs = Math.Round(r.StartMs, 1), ms = Math.Round(r.Ms, 1),
                });
            }
        }) { IsBackground = true, Name = $"soak client {worker}" }).ToArray();
        foreach (Thread t in threads) t.Start();
        // Bounded even if an exchange hangs: the longest one is limited by the socket timeouts.
        foreach (Thread t in threads) t.Join(TimeSpan.FromSeconds(seconds) + IoTimeout * 4);
        double elapsed = clock.Elapsed.TotalSeconds;
        return new
        {
            workload = "soak",
            concurrency,
            connections = perKind.Values.Sum(),
            perKind = perKind.OrderBy(p => p.Key).ToDictionary(p => p.Key, p => p.Value),
            bytesSent, bytesReceived, errors, firstError,
            seconds = elapsed,
            unfinishedThreads = threads.Count(t => t.IsAlive),
        };
    }

    private sealed class Exchange(long tag, string kind)
    {
        public long Tag = tag, Sequence, Sent, SendUnknown, Received, ConnectedAt;
        public string Kind = kind;
        public int Port;
        public bool ContentOk = true;
        public string? Error;
        public double StartMs, Ms;
    }

    /// <summary>Log-uniform between <paramref name="min"/> and <paramref name="max"/> bytes.</summary>
    private static long Size(Random random, long min, long max) =>
        (long)Math.Round(Math.Exp(Math.Log(min) + random.NextDouble() * (Math.Log(max) - Math.Log(min))));

    private static void RunExchange(IPEndPoint target, Exchange r, Random random, byte[] buffer, long maxBytes)
    {
        long request = 0, reply = 0, stopAfter = long.MaxValue;
        var flags = SoakFlags.None;
        bool abort = false, slow = false;
        switch (r.Kind)
        {
            case "short": request = random.Next(1, 4097); reply = random.Next(1, 4097); break;
            case "upload": request = Size(random, 1024, maxBytes); reply = 16; break;
            case "download": request = 0; reply = Size(random, 1024, maxBytes); break;
            case "halfclose": request = Size(random, 1, 4 << 20); reply = Size(random, 1, 4 << 20); flags = SoakFlags.ReplyAfterEof; break;
            case "abort-upload": request = Size(random, 64 * 1024, maxBytes); reply = 16; abort = true; stopAfter = SoakProtocol.HeaderBytes + 1 + (long)(random.NextDouble() * request); break;
            case "abort-download": reply = Size(random, 64 * 1024, maxBytes); abort = true; stopAfter = 1 + (long)(random.NextDouble() * reply); break;
            case "slow-reader": reply = Size(random, 256 * 1024, 4 << 20); slow = true; break;
            case "slow-server": request = Size(random, 64 * 1024, 1 << 20); reply = 16; flags = SoakFlags.SlowRead; break;
        }

        using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            SendTimeout = (int)IoTimeout.TotalMilliseconds,
            ReceiveTimeout = (int)IoTimeout.TotalMilliseconds,
        };
        // A small receive window makes a slow reader push back on the proxy (its writes to us hit EAGAIN)
        // instead of the whole reply vanishing into loopback's megabytes of socket buffers.
        if (slow) socket.ReceiveBufferSize = 16 * 1024;
        socket.Connect(target);
        r.Sequence = Interlocked.Increment(ref _connectSequence);   // after connect: per port, this is accept order
        r.ConnectedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();  // near the proxy's StartTime (its accept)
        r.Port = ((IPEndPoint)socket.LocalEndPoint!).Port;

        Span<byte> header = stackalloc byte[SoakProtocol.HeaderBytes];
        SoakProtocol.WriteHeader(header, flags, r.Tag, request, reply);
        r.Sent += socket.Send(header);   // blocking Send sends all of it or throws

        // The request. An aborting upload stops part-way: RST with bytes in flight, the proxy must not pass a FIN.
        int requestStart = SoakProtocol.Start(r.Tag, reply: false);
        for (long offset = 0; offset < request;)
        {
            long left = Math.Min(request - offset, stopAfter - r.Sent);
            if (left <= 0) break;
            ReadOnlyMemory<byte> piece = SoakProtocol.Chunk(requestStart, offset, (int)Math.Min(left, SoakProtocol.MaxChunk));
            r.SendUnknown = piece.Length;   // see SoakServer: a failed send may have moved part of it
            int n = socket.Send(piece.Span);
            r.SendUnknown = 0;
            offset += n;
            r.Sent += n;
        }
        if (abort && r.Kind == "abort-upload")
        {
            Reset(socket);
            return;
        }
        if ((flags & SoakFlags.ReplyAfterEof) != 0) socket.Shutdown(SocketShutdown.Send);

        // The reply, then the server's FIN. A slow reader takes 4 KiB at a time and pauses 1 ms every 16 KiB
        // (≈ 15 MB/s); an aborting download stops part-way.
        int replyStart = SoakProtocol.Start(r.Tag, reply: true), reads = 0;
        while (true)
        {
            int want = slow ? 4096 : buffer.Length;
            if (abort) want = (int)Math.Min(want, stopAfter - r.Received);
            if (want <= 0) break;
            int n = socket.Receive(buffer, 0, want, SocketFlags.None);
            if (n == 0) break;
            r.ContentOk &= r.Received + n <= reply && SoakProtocol.Matches(replyStart, r.Received, buffer.AsSpan(0, n));
            r.Received += n;
            if (slow && ++reads % 4 == 0) Thread.Sleep(1);
        }
        if (abort)
        {
            Reset(socket);
            return;
        }
        if (r.Received != reply) throw new IOException($"EOF after {r.Received} of {reply} reply bytes");
    }

    /// <summary>Close with SO_LINGER {1, 0}: the kernel sends RST and drops whatever is still queued.</summary>
    private static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }
}
