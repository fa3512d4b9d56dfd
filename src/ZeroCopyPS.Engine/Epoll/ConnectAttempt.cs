using System.Net;
using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>One nonblocking connect to one target address, while it is pending.</summary>
internal sealed class ConnectAttempt
{
    public ConnectAttempt(FileDescriptorHandle socket, EndPoint address, long startedMs, long deadlineMs)
    {
        Socket = socket;
        Address = address;
        StartedMs = startedMs;
        DeadlineMs = deadlineMs;
    }

    public FileDescriptorHandle Socket { get; }

    public EndPoint Address { get; }

    public long StartedMs { get; }

    public long DeadlineMs { get; }

    public int Slot { get; set; } = -1;

    /// <summary>The local address, known once connect was called: a loop would arrive from it.</summary>
    public EndPoint? LocalEndPoint { get; set; }

    /// <summary>The target already hung up or sent urgent data before the relay existed (see RelayDirection.NoteSourceHangup).</summary>
    public bool HangupSeen { get; set; }

    public bool UrgentSeen { get; set; }

    /// <summary>Abandons the attempt: its socket is closed (no longer watched by <paramref name="loop"/>) and forgotten as a loop source.</summary>
    public void Abandon(EventLoop loop)
    {
        if (Slot >= 0) loop.Forget(Slot);
        Slot = -1;
        LoopGuard.RemoveOutgoing(LocalEndPoint, Address);
        Socket.Dispose();
    }
}
