using System.Net.Sockets;

namespace ZeroCopyPS.TestSupport;

/// <summary>
/// Accepts on 127.0.0.1 and reads each connection until it ends; Outcome says how the first connection that
/// carried data ended: "EOF" or "Reset". Empty connections (probes) are ignored.
/// </summary>
public sealed class OutcomeSink : IDisposable
{
    private readonly TestServer _server;
    private readonly TaskCompletionSource<string> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public long BytesReceived;

    public OutcomeSink() => _server = new TestServer(Transport.Tcp4, Drain);

    public Task<string> Outcome => _outcome.Task;
    public int Port => _server.Port;

    private async Task Drain(Socket peer, CancellationToken token)
    {
        byte[] buffer = new byte[65536];
        long mine = 0;
        string how;
        try
        {
            int n;
            while ((n = await peer.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
            {
                mine += n;
                Interlocked.Add(ref BytesReceived, n);
            }
            how = "EOF";
        }
        catch (SocketException e)
        {
            how = e.SocketErrorCode == SocketError.ConnectionReset ? "Reset" : e.SocketErrorCode.ToString();
        }
        if (mine > 0) _outcome.TrySetResult(how);
    }

    public void Dispose() => _server.Dispose();
}
