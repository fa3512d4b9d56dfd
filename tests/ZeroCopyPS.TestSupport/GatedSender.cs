using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace ZeroCopyPS.TestSupport;

/// <summary>
/// Connects to 127.0.0.1:PORT and sends <c>total</c> bytes of seeded pseudo-random data, hashing them
/// (SHA-256), then shuts its side down. After <c>pauseAfter</c> bytes it waits until <see cref="Release"/>, so a
/// test can act (stop a proxy) while the transfer is certainly in the middle. Every wait is bounded.
/// </summary>
public sealed class GatedSender
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sent;

    private GatedSender()
    {
    }

    /// <summary>Bytes sent so far.</summary>
    public long BytesSent => Interlocked.Read(ref _sent);

    /// <summary>The bytes, the hash of what was sent, and "Sent" or the socket error that ended it.</summary>
    public Task<HashedTransfer> Result { get; private set; } = null!;

    public static GatedSender Start(int port, long total, long pauseAfter, int timeoutMs)
    {
        var sender = new GatedSender();
        sender.Result = Task.Run(() => sender.Send(port, total, pauseAfter, timeoutMs));
        return sender;
    }

    public void Release() => _gate.TrySetResult();

    private HashedTransfer Send(int port, long total, long pauseAfter, int timeoutMs)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendTimeout = timeoutMs };
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(20261202);
        byte[] chunk = new byte[256 * 1024];
        string outcome = "Sent";
        try
        {
            socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            while (_sent < total)
            {
                if (_sent >= pauseAfter && !_gate.Task.Wait(timeoutMs)) return new HashedTransfer(_sent, "", "GateTimedOut");
                int n = (int)Math.Min(chunk.Length, Math.Min(total - _sent, _sent < pauseAfter ? pauseAfter - _sent : long.MaxValue));
                random.NextBytes(chunk.AsSpan(0, n));
                hash.AppendData(chunk, 0, n);
                for (int offset = 0; offset < n;) offset += socket.Send(chunk, offset, n - offset, SocketFlags.None);
                Interlocked.Add(ref _sent, n);
            }
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException e)
        {
            outcome = e.SocketErrorCode.ToString();
        }
        return new HashedTransfer(_sent, Convert.ToHexString(hash.GetHashAndReset()), outcome);
    }
}
