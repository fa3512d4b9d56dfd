using System.Net.Sockets;

namespace ZeroCopyPS.TestSupport;

/// <summary>
/// A target on 127.0.0.1 that sends zeros to every connection until sending fails. It never reads:
/// a concurrent recv could consume the socket's pending error and turn a reset into an EOF.
/// SendEnded says how the first connection's send ended: "Reset" (ECONNRESET), "BrokenPipe" (EPIPE), or another error.
/// </summary>
public sealed class EndlessSource : IDisposable
{
    private readonly TestServer _server;
    private readonly TaskCompletionSource<string> _sendEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _connections;
    public long BytesSent;

    public EndlessSource() =>
        _server = new TestServer(Transport.Tcp4, (peer, token) => Send(peer, Interlocked.Increment(ref _connections) == 1, token));

    public string EndPoint => _server.Endpoint;
    public int Accepted => _server.Accepted;
    public Task<string> SendEnded => _sendEnded.Task;

    // Async on purpose: a blocking Send that fails on a reset reports ETIMEDOUT in .NET on Linux.
    private async Task Send(Socket peer, bool first, CancellationToken token)
    {
        var chunk = new byte[65536];
        string how;
        try
        {
            while (true)
            {
                int n = await peer.SendAsync(chunk, SocketFlags.None, token);
                if (first) Interlocked.Add(ref BytesSent, n);
            }
        }
        catch (SocketException e)
        {
            how = e.SocketErrorCode == SocketError.ConnectionReset ? "Reset"
                : e.SocketErrorCode == SocketError.Shutdown ? "BrokenPipe" : $"{e.SocketErrorCode} ({e.Message})";
        }
        catch (OperationCanceledException)
        {
            how = "Disposed";
        }
        if (first) _sendEnded.TrySetResult(how);
    }

    public void Dispose() => _server.Dispose();
}
