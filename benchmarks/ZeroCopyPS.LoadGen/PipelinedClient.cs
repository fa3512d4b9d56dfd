using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.LoadGen;

/// <summary>
/// Pipelined small requests, the way redis-benchmark -P 16 or memtier drive a server: every connection writes
/// a batch of <c>depth</c> requests of <c>size</c> bytes in one send, reads until the whole batch's responses
/// are in, and sends the next. The target is an echo server, so a request's response is its own bytes: a batch
/// counts only when the echo equals what was sent (each batch's bytes differ, so a lost, repeated or reordered
/// byte shows as a mismatch). Async sockets, one task per connection, on the thread pool (an event loop, as
/// those benchmarks use, rather than a thread per connection).
///
/// Bounded twice: by <c>seconds</c> (no batch starts after the deadline) and by <c>maxRequests</c> (a batch
/// starts only if all its requests fit in what is left, so the count is exact); every send and receive also
/// ends at the deadline plus a 10 s grace.
/// </summary>
public static class PipelinedClient
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    /// <summary>Batch latencies kept per run at most (the first ones of each connection); bounds memory at ≈ 8 MB.</summary>
    private const int MaxSamples = 1_000_000;

    public static PipelineResult Run(IPEndPoint target, int connections, int depth, int size, double seconds, long maxRequests)
    {
        if (connections is < 1 or > 10_000) throw new ArgumentException($"--connections {connections}: expected 1 to 10000.");
        if (depth is < 1 or > 1024) throw new ArgumentException($"--depth {depth}: expected 1 to 1024.");
        if (size is < 1 or > 65_536) throw new ArgumentException($"--size {size}: expected 1 to 65536 bytes.");
        if (!(seconds is > 0 and <= 3600)) throw new ArgumentException($"--seconds {seconds}: expected more than 0 and at most 3600.");
        if (maxRequests < 1) throw new ArgumentException($"--max-requests {maxRequests}: expected at least 1.");

        var state = new RunState(maxRequests, Math.Max(1, MaxSamples / connections));
        var sockets = new List<Socket>(connections);
        try
        {
            for (int i = 0; i < connections; i++)
            {
                try { sockets.Add(Clients.Connect(target)); }
                catch (SocketException e) { state.Fail(e.Message); }
            }
            using var abort = new CancellationTokenSource(TimeSpan.FromSeconds(seconds) + Grace);
            long deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
            var clock = Stopwatch.StartNew();
            Task<long[]>[] loops = sockets.Select((socket, index) =>
                Task.Run(() => LoopAsync(socket, index, depth, size, deadline, state, abort.Token))).ToArray();
            // Each loop ends by itself (deadline, budget, error or abort); the wait is one more bound.
            Task.WaitAll(loops, TimeSpan.FromSeconds(seconds) + Grace * 2);
            double elapsed = clock.Elapsed.TotalSeconds;
            long[] samples = loops.Where(t => t.IsCompletedSuccessfully).SelectMany(t => t.Result).ToArray();
            Array.Sort(samples);
            double Micro(double p) => samples.Length == 0 ? 0
                : samples[Math.Clamp((int)Math.Ceiling(p * samples.Length) - 1, 0, samples.Length - 1)] * 1e6 / Stopwatch.Frequency;
            return new PipelineResult
            {
                Connections = connections,
                Connected = sockets.Count,
                Depth = depth,
                RequestBytes = size,
                Requests = state.Requests,
                Batches = state.Batches,
                Mismatches = state.Mismatches,
                Seconds = elapsed,
                RequestsPerSecond = state.Requests / elapsed,
                BatchP50Microseconds = Micro(0.50),
                BatchP99Microseconds = Micro(0.99),
                Errors = state.Errors,
                FirstError = state.FirstError,
            };
        }
        finally
        {
            foreach (Socket socket in sockets) socket.Dispose();
        }
    }

    private static async Task<long[]> LoopAsync(Socket socket, int index, int depth, int size, long deadline, RunState state, CancellationToken abort)
    {
        byte[] batch = new byte[depth * size], echo = new byte[depth * size];
        var samples = new List<long>(Math.Min(state.SamplesPerConnection, 4096));
        try
        {
            for (long number = 0; Stopwatch.GetTimestamp() < deadline && state.TryClaim(depth); number++)
            {
                Fill(batch, index, number);
                long started = Stopwatch.GetTimestamp();
                for (int sent = 0; sent < batch.Length;)
                    sent += await socket.SendAsync(batch.AsMemory(sent), SocketFlags.None, abort);
                for (int got = 0; got < echo.Length;)
                {
                    int read = await socket.ReceiveAsync(echo.AsMemory(got), SocketFlags.None, abort);
                    if (read == 0) throw new IOException("The target closed the connection in the middle of a batch.");
                    got += read;
                }
                if (samples.Count < state.SamplesPerConnection) samples.Add(Stopwatch.GetTimestamp() - started);
                state.Completed(depth, batch.AsSpan().SequenceEqual(echo));
            }
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            state.Fail(e is OperationCanceledException ? "A send or receive did not finish within the deadline plus 10 s." : e.Message);
        }
        return samples.ToArray();
    }

    /// <summary>Bytes that differ per connection, batch and position, so an echo from another batch does not match.</summary>
    private static void Fill(byte[] batch, int connection, long number)
    {
        int seed = unchecked(connection * 7919 + (int)number * 131);
        for (int i = 0; i < batch.Length; i++) batch[i] = unchecked((byte)(seed + i * 31 + (i >> 8)));
    }

    /// <summary>Counters shared by the connections' loops.</summary>
    private sealed class RunState(long maxRequests, int samplesPerConnection)
    {
        private long _unclaimed = maxRequests;
        private long _requests;
        private long _batches;
        private long _mismatches;
        private int _errors;
        private string? _firstError;

        public int SamplesPerConnection { get; } = samplesPerConnection;

        public long Requests => Interlocked.Read(ref _requests);

        public long Batches => Interlocked.Read(ref _batches);

        public long Mismatches => Interlocked.Read(ref _mismatches);

        public int Errors => Volatile.Read(ref _errors);

        public string? FirstError => Volatile.Read(ref _firstError);

        /// <summary>Takes a whole batch from the request budget, or nothing when it does not fit.</summary>
        public bool TryClaim(int depth)
        {
            if (Interlocked.Add(ref _unclaimed, -depth) >= 0) return true;
            Interlocked.Add(ref _unclaimed, depth);
            return false;
        }

        public void Completed(int depth, bool matched)
        {
            Interlocked.Increment(ref _batches);
            if (matched) Interlocked.Add(ref _requests, depth);
            else Interlocked.Increment(ref _mismatches);
        }

        public void Fail(string message)
        {
            Interlocked.Increment(ref _errors);
            Interlocked.CompareExchange(ref _firstError, message, null);
        }
    }
}
