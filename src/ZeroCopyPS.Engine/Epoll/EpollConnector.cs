using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// The epoll engine's hands for <see cref="ConnectSequencer"/>: nonblocking connects, at most two at
/// once (tags 1 and 2 of the owning connection), each closed at its own deadline. When an attempt
/// connects the others are closed and <see cref="Winner"/> is set; when the sequencer gives up,
/// <see cref="GaveUp"/>. Loop thread only.
/// </summary>
internal sealed class EpollConnector
{
    public const int FirstTag = 1;
    private const uint Interest = Flags.EPOLLIN | Flags.EPOLLOUT | Flags.EPOLLRDHUP | Flags.EPOLLPRI;

    private readonly EventLoop _loop;
    private readonly IEventHandler _handler;
    private readonly ConnectSequencer _sequencer;
    private readonly ConnectionCore _owner;
    private readonly ConnectAttempt?[] _attempts = new ConnectAttempt?[ConnectSequencer.MaxAttemptsInFlight];
    // A second attempt in flight holds a third descriptor beyond the connection's two.
    private bool _extraDescriptor;

    public EpollConnector(EventLoop loop, IEventHandler handler, ConnectSequencer sequencer, ConnectionCore owner)
    {
        _loop = loop;
        _handler = handler;
        _sequencer = sequencer;
        _owner = owner;
    }

    public ConnectAttempt? Winner { get; private set; }

    public int WinnerTag { get; private set; }

    public bool GaveUp { get; private set; }

    /// <summary>When to call <see cref="OnTimer"/> next (an attempt's deadline, or the sequencer's next step).</summary>
    public long NextWakeMs { get; private set; } = long.MaxValue;

    // Invariant: returns with a winner, a give-up, or every started attempt registered and NextWakeMs set
    // to the earliest of their deadlines and the sequencer's wait, so the loop always calls back.
    public void Advance(long nowMs)
    {
        while (Winner is null && !GaveUp)
        {
            bool parallel = _attempts[0] is not null || _attempts[1] is not null;
            if (parallel && !_extraDescriptor && !(_extraDescriptor = DescriptorBudget.TryReserve(1)))
            {
                NextWakeMs = EarliestAttemptDeadline();
                return; // no room for a second socket now: the first attempt goes on alone
            }
            ConnectStep step = _sequencer.Next(nowMs);
            switch (step.Kind)
            {
                case ConnectStepKind.GiveUp:
                    GaveUp = true;
                    AbandonAll();
                    return;
                case ConnectStepKind.Wait:
                    NextWakeMs = Math.Min(step.AtMs, EarliestAttemptDeadline());
                    return;
                default:
                    Start(step.Address!, step.AtMs, nowMs);
                    break;
            }
        }
    }

    /// <summary>Readiness on an attempt's socket.</summary>
    public void OnEvents(int tag, uint events, long nowMs)
    {
        int index = tag - FirstTag;
        if (index < 0 || index >= _attempts.Length || _attempts[index] is not { } attempt) return;
        if ((events & (Flags.EPOLLRDHUP | Flags.EPOLLHUP)) != 0) attempt.HangupSeen = true;
        if ((events & Flags.EPOLLPRI) != 0) attempt.UrgentSeen = true;
        int error = NativeSocket.GetPendingError(attempt.Socket.Fd);
        if (error == 0 && (events & (Flags.EPOLLOUT | Flags.EPOLLERR | Flags.EPOLLHUP)) == 0) return; // not decided yet
        if (error == 0) Win(index);
        else Fail(index, error, nowMs);
        Advance(nowMs);
    }

    /// <summary>Attempts past their own deadline are closed; then the sequencer is asked again.</summary>
    public void OnTimer(long nowMs)
    {
        for (int i = 0; i < _attempts.Length; i++)
        {
            if (_attempts[i] is not { } attempt || nowMs < attempt.DeadlineMs) continue;
            _attempts[i] = null;
            attempt.Abandon(_loop);
            _sequencer.OnAttemptTimedOut(attempt.Address, attempt.StartedMs, nowMs);
        }
        Advance(nowMs);
    }

    /// <summary>Closes every attempt still pending (not the winner) and gives the extra descriptor back.</summary>
    public void AbandonAll()
    {
        for (int i = 0; i < _attempts.Length; i++)
        {
            _attempts[i]?.Abandon(_loop);
            _attempts[i] = null;
        }
        if (_extraDescriptor) DescriptorBudget.Release(1);
        _extraDescriptor = false;
    }

    private void Start(EndPoint address, long deadlineMs, long nowMs)
    {
        int index = _attempts[0] is null ? 0 : 1;
        int fd = NativeSocket.TryCreateStream(address.AddressFamily, out int errno);
        if (fd < 0)
        {
            _sequencer.OnAttemptFailed(address, FailureClassifier.Classify(errno), $"socket() failed: {FailureClassifier.Describe(errno)}", nowMs);
            return;
        }
        var attempt = new ConnectAttempt(new FileDescriptorHandle(fd), address, nowMs, deadlineMs);
        LoopGuard.BeginConnect(address);
        errno = NativeSocket.StartConnect(fd, address.Serialize());
        if (errno is 0 or Errno.EINPROGRESS && address.AddressFamily != AddressFamily.Unix)
        {
            // Known from connect on: the address a looping connection would arrive from.
            attempt.LocalEndPoint = NativeSocket.GetLocalEndPoint(fd);
            LoopGuard.AddOutgoing(attempt.LocalEndPoint, address, _owner);
        }
        LoopGuard.EndConnect(address);
        if (errno is not (0 or Errno.EINPROGRESS))
        {
            attempt.Abandon(_loop);
            _sequencer.OnAttemptFailed(address, FailureClassifier.Classify(errno), FailureClassifier.Describe(errno), nowMs);
            return;
        }
        _attempts[index] = attempt;
        attempt.Slot = _loop.Register(fd, Interest, _handler, FirstTag + index);
        if (errno == 0) Win(index);
    }

    private void Win(int index)
    {
        Winner = _attempts[index];
        WinnerTag = FirstTag + index;
        _attempts[index] = null;
        _sequencer.OnAttemptConnected();
        AbandonAll();
    }

    private void Fail(int index, int errno, long nowMs)
    {
        ConnectAttempt attempt = _attempts[index]!;
        _attempts[index] = null;
        attempt.Abandon(_loop);
        _sequencer.OnAttemptFailed(attempt.Address, FailureClassifier.Classify(errno), FailureClassifier.Describe(errno), nowMs);
    }

    private long EarliestAttemptDeadline()
    {
        long earliest = _sequencer.DeadlineMs;
        foreach (ConnectAttempt? attempt in _attempts)
            if (attempt is not null) earliest = Math.Min(earliest, attempt.DeadlineMs);
        return earliest;
    }
}
