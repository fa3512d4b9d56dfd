using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Managed;

/// <summary>One pending connect of the managed engine; its socket is the connection's if it wins.</summary>
internal sealed class ManagedAttempt
{
    private readonly CancellationTokenSource _cancel;

    private ManagedAttempt(Socket socket, EndPoint address, EndPoint? localEndPoint, long startedMs, long deadlineMs, CancellationTokenSource cancel)
    {
        Socket = socket;
        Address = address;
        LocalEndPoint = localEndPoint;
        StartedMs = startedMs;
        DeadlineMs = deadlineMs;
        _cancel = cancel;
        Task = socket.ConnectAsync(address, cancel.Token).AsTask();
    }

    public Socket Socket { get; }

    public EndPoint Address { get; }

    /// <summary>The bound local address (TCP), registered with <see cref="LoopGuard"/> until the connection or the attempt ends.</summary>
    public EndPoint? LocalEndPoint { get; }

    public long StartedMs { get; }

    public long DeadlineMs { get; }

    public Task Task { get; }

    public static ManagedAttempt Start(EndPoint address, long nowMs, long deadlineMs, CancellationToken abort)
    {
        bool tcp = address.AddressFamily != AddressFamily.Unix;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, tcp ? ProtocolType.Tcp : ProtocolType.Unspecified);
        EndPoint? local = null;
        if (tcp)
        {
            // Bound before connecting, so the port is known (and registered as a loop source) before
            // the SYN leaves: a .NET connect reports its port only once it completes, which the other
            // end of a loop may not wait for.
            socket.Bind(new IPEndPoint(address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
            local = socket.LocalEndPoint;
            LoopGuard.AddOutgoing(local, address);
        }
        return new ManagedAttempt(socket, address, local, nowMs, deadlineMs, CancellationTokenSource.CreateLinkedTokenSource(abort));
    }

    /// <summary>The attempt won: its socket stays open, its cancellation goes.</summary>
    public void Keep() => _cancel.Dispose();

    /// <summary>The attempt lost or ended: its socket closes.</summary>
    public void Abandon()
    {
        _cancel.Cancel();
        if (!Task.IsCompletedSuccessfully) Socket.Dispose();
        LoopGuard.RemoveOutgoing(LocalEndPoint, Address);
        _cancel.Dispose();
    }
}
