using System.Net.Sockets;
using System.Text;
using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Listening;

/// <summary>
/// The taking side of a hand-over: the listening sockets a running instance offered, each named by its
/// bound address, and the open conversation with it until this instance says which it took
/// (docs/ARCHITECTURE.md, "Seamless restart"). Sockets not taken are closed here; the offering
/// instance still holds its own descriptors for them, so nothing is lost either way.
/// </summary>
internal sealed class HandOverOffer : IDisposable
{
    private readonly int _conversation;
    private readonly List<(string Name, Socket Socket)> _sockets;
    private readonly HashSet<int> _taken = new();
    private bool _answered;

    private HandOverOffer(int conversation, List<(string, Socket)> sockets)
    {
        _conversation = conversation;
        _sockets = sockets;
    }

    public IReadOnlyList<(string Name, Socket Socket)> Sockets => _sockets;

    /// <summary>
    /// Asks the instance serving <paramref name="path"/> for its listeners. Null when none serves it (no
    /// file, a stale socket, an instance of another user); bounded by <see cref="HandOverWire.Timeout"/>.
    /// </summary>
    public static HandOverOffer? TryTake(string path)
    {
        int fd = HandOverWire.CreateBlocking(out _);
        if (fd < 0) return null;
        var received = new List<int>();
        try
        {
            if (NativeSocket.StartConnect(fd, new UnixDomainSocketEndPoint(path).Serialize()) != 0) return Close(fd);
            if (!HandOverWire.PeerIsTrusted(fd) || HandOverWire.WriteLine(fd, HandOverWire.Take) != 0) return Close(fd);
            byte[] buffer = new byte[16 * 1024];
            int length = DescriptorPassing.Receive(fd, buffer, received);
            if (length <= 0) return Close(fd);
            string text = Encoding.UTF8.GetString(buffer, 0, length);
            string[] lines = text.Split('\n');
            if (!lines[0].StartsWith(HandOverWire.Sockets + " ", StringComparison.Ordinal)
                || !int.TryParse(lines[0].AsSpan(HandOverWire.Sockets.Length + 1), out int count)
                || count != received.Count || lines.Length < count + 1)
                return Close(fd);
            var sockets = new List<(string, Socket)>();
            for (int i = 0; i < count; i++) sockets.Add((lines[i + 1], new Socket(new SafeSocketHandle(received[i], ownsHandle: true))));
            received.Clear();
            return new HandOverOffer(fd, sockets);
        }
        finally
        {
            foreach (int unused in received) Libc.close(unused);
        }
    }

    /// <summary>The offered socket bound to <paramref name="name"/> (as <see cref="HandOverWire.Describe"/> names it), now this instance's.</summary>
    public Socket? Take(string name)
    {
        for (int i = 0; i < _sockets.Count; i++)
        {
            if (_taken.Contains(i) || _sockets[i].Name != name) continue;
            _taken.Add(i);
            return _sockets[i].Socket;
        }
        return null;
    }

    /// <summary>This instance listens on what it took: tells the offering instance (which then stops with its drain).</summary>
    public void Confirm()
    {
        if (_answered) return;
        _answered = true;
        HandOverWire.WriteLine(_conversation, $"{HandOverWire.Taken} {string.Join(' ', _taken.Order())}".TrimEnd());
        HandOverWire.ReadLine(_conversation); // the other side's close: it has recorded what went
    }

    /// <summary>Closes what was not taken (and, if start failed, what was: the offering instance keeps serving them) and ends the conversation.</summary>
    public void Dispose(bool started)
    {
        for (int i = 0; i < _sockets.Count; i++)
            if (!started || !_taken.Contains(i)) _sockets[i].Socket.Dispose();
        Libc.close(_conversation);
    }

    public void Dispose() => Dispose(started: false);

    private static HandOverOffer? Close(int fd)
    {
        Libc.close(fd);
        return null;
    }
}
