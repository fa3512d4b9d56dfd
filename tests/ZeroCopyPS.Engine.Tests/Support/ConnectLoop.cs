using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Tests.Support;

/// <summary>
/// A client that opens connections in a loop, each sending 1 KiB and reading it back whole from an echo
/// behind the proxy: counts what was served, refused (connect refused) and cut (reset, or fewer bytes back).
/// Bounded in count and time.
/// </summary>
public static class ConnectLoop
{
    public sealed record Result(int Served, int Refused, int Cut, int TimedOut, double Seconds);

    public static async Task<Result> RunAsync(IPEndPoint target, int count, int concurrency, TimeSpan limit, Action<int>? progress)
    {
        int next = -1, served = 0, refused = 0, cut = 0, timedOut = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        byte[] payload = new byte[1024];
        new Random(7).NextBytes(payload);
        async Task Worker()
        {
            byte[] buffer = new byte[2048];
            while (clock.Elapsed < limit)
            {
                int i = Interlocked.Increment(ref next);
                if (i >= count) return;
                using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(target, cancel.Token);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    Interlocked.Increment(ref refused);
                    continue;
                }
                catch (SocketException)
                {
                    Interlocked.Increment(ref cut);
                    continue;
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref timedOut);
                    continue;
                }
                try
                {
                    await socket.SendAsync(payload, SocketFlags.None, cancel.Token);
                    socket.Shutdown(SocketShutdown.Send);
                    int total = 0, read;
                    while ((read = await socket.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None, cancel.Token)) > 0) total += read;
                    if (total == payload.Length && buffer.AsSpan(0, total).SequenceEqual(payload)) Interlocked.Increment(ref served);
                    else Interlocked.Increment(ref cut);
                }
                catch (SocketException) { Interlocked.Increment(ref cut); }
                catch (OperationCanceledException) { Interlocked.Increment(ref timedOut); }
                progress?.Invoke(Volatile.Read(ref served));
            }
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
        return new Result(served, refused, cut, timedOut, clock.Elapsed.TotalSeconds);
    }
}
