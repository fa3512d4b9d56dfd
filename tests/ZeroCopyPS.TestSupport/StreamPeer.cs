using System.Net.Sockets;
using System.Security.Cryptography;

namespace ZeroCopyPS.TestSupport;

/// <summary>
/// Sends a seeded random stream and reads the other side's stream at the same time, hashing both:
/// the test compares what one peer sent with what the other received, byte for byte (SHA-256).
/// </summary>
public static class StreamPeer
{
    public sealed record Result(byte[] SentHash, byte[] ReceivedHash, long BytesReceived);

    public static async Task<Result> ExchangeAsync(Socket socket, long bytesToSend, int seed, CancellationToken token)
    {
        Task<byte[]> send = SendAsync(socket, bytesToSend, seed, token);
        Task<(byte[], long)> receive = ReceiveAsync(socket, token);
        byte[] sent = await send;
        (byte[] received, long count) = await receive;
        return new Result(sent, received, count);
    }

    public static async Task<byte[]> SendAsync(Socket socket, long bytesToSend, int seed, CancellationToken token)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(seed);
        byte[] chunk = new byte[128 * 1024];
        long remaining = bytesToSend;
        while (remaining > 0)
        {
            int n = (int)Math.Min(chunk.Length, remaining);
            random.NextBytes(chunk.AsSpan(0, n));
            hash.AppendData(chunk, 0, n);
            int offset = 0;
            while (offset < n) offset += await socket.SendAsync(chunk.AsMemory(offset, n - offset), SocketFlags.None, token);
            remaining -= n;
        }
        socket.Shutdown(SocketShutdown.Send);
        return hash.GetHashAndReset();
    }

    public static async Task<(byte[] Hash, long Count)> ReceiveAsync(Socket socket, CancellationToken token)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[128 * 1024];
        long total = 0;
        while (true)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
            if (read == 0) break;
            hash.AppendData(buffer, 0, read);
            total += read;
        }
        return (hash.GetHashAndReset(), total);
    }

    public static byte[] HashOf(long bytes, int seed)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(seed);
        byte[] chunk = new byte[128 * 1024];
        for (long remaining = bytes; remaining > 0; remaining -= chunk.Length)
        {
            int n = (int)Math.Min(chunk.Length, remaining);
            random.NextBytes(chunk.AsSpan(0, n));
            hash.AppendData(chunk, 0, n);
        }
        return hash.GetHashAndReset();
    }
}
