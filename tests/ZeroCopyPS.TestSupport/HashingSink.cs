using System.Net.Sockets;
using System.Security.Cryptography;

namespace ZeroCopyPS.TestSupport;

/// <summary>
/// Accepts on 127.0.0.1 and hashes (SHA-256) what the first connection that carries data sends, until it ends:
/// <see cref="Result"/> gives the byte count, the hash and how it ended ("EOF" or "Reset"). Empty connections
/// (probes) are ignored. For a transfer that must arrive whole through a proxy that is being stopped.
/// </summary>
public sealed class HashingSink : IDisposable
{
    private readonly TestServer _server;
    private readonly TaskCompletionSource<HashedTransfer> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _bytesReceived;
    private int _claimed;

    public HashingSink() => _server = new TestServer(Transport.Tcp4, Receive);

    public int Port => _server.Port;

    /// <summary>Bytes of the hashed connection so far.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public Task<HashedTransfer> Result => _result.Task;

    private async Task Receive(Socket peer, CancellationToken token)
    {
        byte[] buffer = new byte[256 * 1024];
        int first = await ReceiveOrReset(peer, buffer, token);
        if (first <= 0 || Interlocked.Exchange(ref _claimed, 1) != 0) return;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        int n = first;
        while (n > 0)
        {
            hash.AppendData(buffer, 0, n);
            total += n;
            Interlocked.Exchange(ref _bytesReceived, total);
            n = await ReceiveOrReset(peer, buffer, token);
        }
        _result.TrySetResult(new HashedTransfer(total, Convert.ToHexString(hash.GetHashAndReset()), n == 0 ? "EOF" : "Reset"));
    }

    // -1 for a reset: the transfer's outcome, not a test failure.
    private static async Task<int> ReceiveOrReset(Socket peer, byte[] buffer, CancellationToken token)
    {
        try
        {
            return await peer.ReceiveAsync(buffer, SocketFlags.None, token);
        }
        catch (SocketException)
        {
            return -1;
        }
    }

    public void Dispose() => _server.Dispose();
}
