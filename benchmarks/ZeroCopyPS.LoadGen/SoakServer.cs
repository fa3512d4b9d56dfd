using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.LoadGen;

/// <summary>
/// The soak target: reads a <see cref="SoakProtocol"/> header, then the request, answers with the reply
/// the header asked for and half-closes, then reads until the client's EOF. One JSON line per connection
/// (tag, bytes received and sent, whether the content was right, the error that ended it) goes to the
/// records file. Async sockets on the thread pool: short connections arrive by the thousand per second,
/// and a thread each would cost more CPU than the proxy under test.
/// </summary>
internal sealed class SoakServer : IDisposable
{
    private readonly Socket _listener;
    private readonly JsonLinesWriter _records;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task _acceptLoop;
    private volatile bool _disposed;
    private long _accepted;

    public SoakServer(IPEndPoint bind, string recordsPath)
    {
        _records = new JsonLinesWriter(recordsPath);
        _listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(bind);
        _listener.Listen(4096);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = Task.Run(() => AsyncAcceptLoop.RunAsync(_listener, () => _disposed, Serve));
    }

    public IPEndPoint EndPoint { get; }

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Records => _records.Lines;

    private void Serve(Socket socket)
    {
        Interlocked.Increment(ref _accepted);
        _open[socket] = 0;
        _ = Task.Run(() => ServeAsync(socket));
    }

    private async Task ServeAsync(Socket socket)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(SoakProtocol.MaxChunk);
        // sendUnknown: the size of a send that failed. It may have moved part of its bytes before the error
        // (.NET reports none of them), so the bytes sent are only known to lie in [sent, sent + sendUnknown].
        long tag = -1, received = 0, sent = 0, sendUnknown = 0;
        SoakFlags flags = SoakFlags.None;
        bool contentOk = true;
        string? error = null;
        try
        {
            // The header may arrive in pieces; a client that aborts early leaves an untagged record.
            while (received < SoakProtocol.HeaderBytes)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory((int)received, SoakProtocol.HeaderBytes - (int)received), SocketFlags.None).ConfigureAwait(false);
                if (n == 0) throw new EndOfStreamException("EOF inside the header");
                received += n;
            }
            if (!SoakProtocol.TryReadHeader(buffer, out flags, out long headerTag, out long requestBytes, out long replyBytes))
                throw new InvalidDataException("bad header");
            tag = headerTag;
            int requestStart = SoakProtocol.Start(tag, reply: false);
            bool slow = (flags & SoakFlags.SlowRead) != 0;
            int chunk = slow ? 4096 : SoakProtocol.MaxChunk, reads = 0;
            // No small SO_RCVBUF here (unlike the client's slow reader): set after the handshake, it shrinks a
            // window already advertised, and the proxy then waits on zero-window probes for seconds.

            // The request: exactly requestBytes, or with ReplyAfterEof everything up to the client's FIN.
            long limit = (flags & SoakFlags.ReplyAfterEof) != 0 ? long.MaxValue : requestBytes;
            long payload = 0;
            while (payload < limit)
            {
                int want = (int)Math.Min(chunk, limit - payload);
                int n = await socket.ReceiveAsync(buffer.AsMemory(0, want), SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    if (limit == long.MaxValue) break;
                    throw new EndOfStreamException($"EOF after {payload} of {requestBytes} request bytes");
                }
                contentOk &= SoakProtocol.Matches(requestStart, payload, buffer.AsSpan(0, n));
                payload += n;
                received += n;
                // Task.Delay(1) sleeps 1-4 ms here (timer granularity): ≈ 4-16 MB/s.
                if (slow && ++reads % 4 == 0) await Task.Delay(1).ConfigureAwait(false);
            }

            int replyStart = SoakProtocol.Start(tag, reply: true);
            while (sent < replyBytes)
            {
                ReadOnlyMemory<byte> piece = SoakProtocol.Chunk(replyStart, sent, (int)Math.Min(SoakProtocol.MaxChunk, replyBytes - sent));
                sendUnknown = piece.Length;
                sent += await socket.SendAsync(piece, SocketFlags.None).ConfigureAwait(false);
                sendUnknown = 0;
            }
            socket.Shutdown(SocketShutdown.Send);

            // Anything after the request is counted (it would be a framing error) until the client's FIN.
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(0, SoakProtocol.MaxChunk), SocketFlags.None).ConfigureAwait(false);
                if (n == 0) break;
                received += n;
                contentOk = false;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or InvalidDataException)
        {
            error = _disposed ? "ServerStopped" : SoakProtocol.Describe(e);
        }
        finally
        {
            _open.TryRemove(socket, out _);
            socket.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
            _records.Write(new { tag, flags = (uint)flags, received, sent, sendUnknown, contentOk, error });
        }
    }

    /// <summary>Stops accepting, gives open connections a few seconds to end on their own, then cuts them and flushes.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _listener.Dispose();
        _acceptLoop.Wait(TimeSpan.FromSeconds(2));
        for (int i = 0; i < 50 && !_open.IsEmpty; i++) Thread.Sleep(100);
        foreach (Socket socket in _open.Keys) socket.Dispose();
        for (int i = 0; i < 20 && !_open.IsEmpty; i++) Thread.Sleep(100);
        _records.Dispose();
    }
}
