using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Managed;

/// <summary>One pending connect of the managed engine; its socket is the connection's if it wins.</summary>
internal sealed class ManagedAttempt
{
    private readonly CancellationTokenSource _cancel;
    private bool _abandoned;

    private ManagedAttempt(Socket socket, EndPoint address, long startedMs, long deadlineMs, ConnectionCore owner, CancellationTokenSource cancel)
    {
        Socket = socket;
        Address = address;
        StartedMs = startedMs;
        DeadlineMs = deadlineMs;
        _cancel = cancel;
        Task = ConnectAndRegisterAsync(owner);
    }

    public Socket Socket { get; }

    public EndPoint Address { get; }

    /// <summary>The local address once connected (TCP), registered with <see cref="LoopGuard"/> until the connection or the attempt ends.</summary>
    public EndPoint? LocalEndPoint { get; private set; }

    public long StartedMs { get; }

    public long DeadlineMs { get; }

    public Task Task { get; }

    public static ManagedAttempt Start(EndPoint address, long nowMs, long deadlineMs, ConnectionCore owner, CancellationToken abort)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, address.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        return new ManagedAttempt(socket, address, nowMs, deadlineMs, owner, CancellationTokenSource.CreateLinkedTokenSource(abort));
    }

    // The local port is registered the moment the connect completes, in the attempt's own continuation,
    // not after the connector's next step: the other end of a loop looks it up right after its accept.
    private async Task ConnectAndRegisterAsync(ConnectionCore owner)
    {
        LoopGuard.BeginConnect(Address);
        try
        {
            await Socket.ConnectAsync(Address, _cancel.Token).ConfigureAwait(false);
            if (Address.AddressFamily == AddressFamily.Unix) return;
            LocalEndPoint = Socket.LocalEndPoint;
            LoopGuard.AddOutgoing(LocalEndPoint, Address, owner);
        }
        finally
        {
            LoopGuard.EndConnect(Address);
        }
        if (Volatile.Read(ref _abandoned)) LoopGuard.RemoveOutgoing(LocalEndPoint, Address); // lost the race with Abandon
    }

    /// <summary>The attempt won: its socket stays open, its cancellation goes.</summary>
    public void Keep() => _cancel.Dispose();

    /// <summary>The attempt lost or ended: its socket closes.</summary>
    public void Abandon()
    {
        Volatile.Write(ref _abandoned, true);
        _cancel.Cancel();
        if (!Task.IsCompletedSuccessfully) Socket.Dispose();
        LoopGuard.RemoveOutgoing(LocalEndPoint, Address);
        _cancel.Dispose();
    }
}
