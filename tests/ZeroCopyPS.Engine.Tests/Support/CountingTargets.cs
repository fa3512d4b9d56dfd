using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Tests.Support;

/// <summary>Several echo targets on loopback that count what they accept; one may answer slowly.</summary>
public sealed class CountingTargets : IAsyncDisposable
{
    private readonly TestServer[] _servers;
    private readonly int[] _accepted;

    public CountingTargets(int count, int slowIndex = -1)
    {
        _accepted = new int[count];
        _servers = new TestServer[count];
        for (int i = 0; i < count; i++)
        {
            int index = i;
            _servers[i] = new TestServer(Transport.Tcp4, async (socket, token) =>
            {
                Interlocked.Increment(ref _accepted[index]);
                if (index == slowIndex) await Task.Delay(500, token); // holds its connections open longer
                byte[] buffer = new byte[4096];
                int read;
                while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
                    await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, token);
                socket.Shutdown(SocketShutdown.Send);
            });
        }
    }

    public IReadOnlyList<string> Endpoints => _servers.Select(s => s.Endpoint).ToArray();

    public int Accepted(int index) => Volatile.Read(ref _accepted[index]);

    public void Reset() => Array.Clear(_accepted);

    public async ValueTask DisposeAsync()
    {
        foreach (TestServer server in _servers) await server.DisposeAsync();
    }
}
