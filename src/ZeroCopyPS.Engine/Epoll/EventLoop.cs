using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// One thread, one edge-triggered epoll instance. Every handler registered here is touched only by
/// this thread; other threads reach it through <see cref="Post"/>. No blocking call runs on it except
/// epoll_wait itself.
/// </summary>
internal sealed unsafe class EventLoop : IDisposable
{
    private const int MaxEventsPerWait = 256;

    // With no timer due, epoll_wait still returns this often; a Post wakes it at once anyway.
    private const int LongestWaitMilliseconds = 60_000;

    // x86_64 packs struct epoll_event to 12 bytes; other 64-bit ABIs align the u64 to 8.
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private readonly FileDescriptorHandle _epoll;
    private readonly FileDescriptorHandle _wakeEvent;
    private readonly byte* _events;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly Queue<IEventHandler> _runnable = new();
    private readonly List<IEventHandler> _alive = new();
    private readonly TimerQueue<IEventHandler> _timers = new();
    private readonly Action<Exception> _onLoopFault;

    private readonly HandlerSlots _slots = new();

    private volatile bool _stopRequested;
    private bool _disposed;
    private int _wakePending;

    public EventLoop(int index, Action<Exception> onLoopFault)
    {
        Index = index;
        _onLoopFault = onLoopFault;
        int epfd = Libc.epoll_create1(Flags.EPOLL_CLOEXEC);
        if (epfd < 0) throw new NativeCallException("epoll_create1", Libc.LastErrno);
        _epoll = new FileDescriptorHandle(epfd);
        int efd = Libc.eventfd(0, Flags.EFD_NONBLOCK | Flags.EFD_CLOEXEC);
        if (efd < 0)
        {
            int errno = Libc.LastErrno;
            _epoll.Dispose();
            throw new NativeCallException("eventfd", errno);
        }
        _wakeEvent = new FileDescriptorHandle(efd);
        _events = (byte*)NativeMemory.AllocZeroed((nuint)(EventSize * MaxEventsPerWait));
        Control(Flags.EPOLL_CTL_ADD, efd, Flags.EPOLLIN, 0);
        _thread = new Thread(Run) { IsBackground = true, Name = $"ZeroCopyPS epoll loop {index}" };
    }

    public int Index { get; }

    public bool IsOnLoopThread => Thread.CurrentThread == _thread;

    /// <summary>Handlers alive on this loop (loop thread only).</summary>
    public IReadOnlyList<IEventHandler> AliveHandlers => _alive;

    /// <summary><see cref="Environment.TickCount64"/> when the current round began (loop thread only).</summary>
    public long NowMs { get; private set; } = Environment.TickCount64;

    public void Start() => _thread.Start();

    /// <summary>Adds a descriptor (edge-triggered) and returns its slot for <see cref="Forget"/> or <see cref="Unregister"/>.</summary>
    public int Register(int fd, uint events, IEventHandler handler, int tag)
    {
        int slot = _slots.Take(handler, tag);
        if (!TryControl(Flags.EPOLL_CTL_ADD, fd, events | Flags.EPOLLET, slot, out int errno))
        {
            _slots.Release(slot);
            throw new NativeCallException("epoll_ctl(ADD)", errno);
        }
        return slot;
    }

    /// <summary>
    /// Removes a descriptor that stays open (a listening socket other loops still watch); events already
    /// fetched for it are dropped.
    /// </summary>
    public void Unregister(int slot, int fd)
    {
        TryControl(Flags.EPOLL_CTL_DEL, fd, 0, slot, out _);
        _slots.Release(slot);
    }

    /// <summary>
    /// Forgets a descriptor that is about to be closed: closing it removes it from the epoll set, so no
    /// EPOLL_CTL_DEL is spent; an event already fetched for it is dropped by the slot's generation.
    /// </summary>
    public void Forget(int slot) => _slots.Release(slot);

    /// <summary>Counts a handler among the loop's live ones (a stop aborts them all).</summary>
    public void AddAlive(IEventHandler handler)
    {
        handler.AliveIndex = _alive.Count;
        _alive.Add(handler);
    }

    public void RemoveAlive(IEventHandler handler)
    {
        int index = handler.AliveIndex;
        if (index < 0 || index >= _alive.Count || !ReferenceEquals(_alive[index], handler)) return;
        IEventHandler last = _alive[^1];
        _alive[index] = last;
        last.AliveIndex = index;
        _alive.RemoveAt(_alive.Count - 1);
        handler.AliveIndex = -1;
        _timers.Cancel(handler);
    }

    /// <summary>Calls <see cref="IEventHandler.OnTimer"/> at <paramref name="deadlineMs"/> (moves an earlier schedule).</summary>
    public void ScheduleTimer(IEventHandler handler, long deadlineMs)
    {
        if (deadlineMs == long.MaxValue) _timers.Cancel(handler);
        else _timers.Schedule(handler, deadlineMs);
    }

    /// <summary>Runs the handler's <see cref="IEventHandler.OnRun"/> after this round of events (loop thread only).</summary>
    public void ScheduleRun(IEventHandler handler) => _runnable.Enqueue(handler);

    /// <summary>Runs <paramref name="action"/> on the loop thread. Any thread.</summary>
    public void Post(Action action)
    {
        _posted.Enqueue(action);
        if (Interlocked.Exchange(ref _wakePending, 1) != 0) return;
        // A late post (a DNS answer after stop) must not write to a closed, possibly reused, descriptor.
        bool referenced = false;
        try
        {
            _wakeEvent.DangerousAddRef(ref referenced);
            long one = 1;
            Libc.write(_wakeEvent.Fd, (byte*)&one, sizeof(long));
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (referenced) _wakeEvent.DangerousRelease();
        }
    }

    /// <summary>Asks the thread to leave after its current round and waits up to <paramref name="timeout"/>.</summary>
    public bool StopAndJoin(TimeSpan timeout)
    {
        _stopRequested = true;
        Post(static () => { });
        return !_thread.IsAlive || IsOnLoopThread || _thread.Join(timeout);
    }

    // Invariant: one round = fetch ready events, dispatch each to its handler, run posted actions, then
    // the handlers that deferred work (each once, in order), then the timers that are due. epoll_wait
    // does not sleep while deferred work is pending, so no connection waits on another's data, and it
    // sleeps no longer than the earliest timer, so no timer is late by more than a round. A round with
    // no timer due costs one comparison: timers cost in proportion to what expires (docs/ARCHITECTURE.md, "Timers").
    private void Run()
    {
        try
        {
            while (!_stopRequested)
            {
                int timeout = _runnable.Count > 0 || !_posted.IsEmpty ? 0 : WaitMilliseconds(Environment.TickCount64);
                int ready = Libc.epoll_wait(_epoll.Fd, _events, MaxEventsPerWait, timeout);
                if (ready < 0)
                {
                    int errno = Libc.LastErrno;
                    if (errno == Errno.EINTR) continue;
                    throw new NativeCallException("epoll_wait", errno);
                }
                NowMs = Environment.TickCount64;
                for (int i = 0; i < ready; i++) Dispatch(_events + (i * EventSize));
                RunPosted();
                for (int pending = _runnable.Count; pending > 0; pending--)
                {
                    IEventHandler handler = _runnable.Dequeue();
                    try { handler.OnRun(); }
                    catch (Exception e) { handler.OnFault(e); }
                }
                RunDueTimers();
            }
            RunPosted();
        }
        catch (Exception e)
        {
            _onLoopFault(e);
        }
    }

    private int WaitMilliseconds(long nowMs)
    {
        long next = _timers.NextDeadlineMs;
        if (next == long.MaxValue) return LongestWaitMilliseconds;
        return (int)Math.Clamp(next - nowMs, 0, LongestWaitMilliseconds);
    }

    private void RunDueTimers()
    {
        long now = Environment.TickCount64;
        while (_timers.TryDequeueDue(now, out IEventHandler handler))
        {
            try { handler.OnTimer(now); }
            catch (Exception e) { handler.OnFault(e); }
        }
    }

    private void Dispatch(byte* ev)
    {
        uint events = *(uint*)ev;
        ulong data = *(ulong*)(ev + DataOffset);
        if ((data & 0xFFFF_FFFF) == 0)
        {
            // Read, then clear: cleared first, a Post landing in between would write an eventfd count
            // that this read swallows, and with the flag left set no later Post would wake us again.
            long ignored;
            Libc.read(_wakeEvent.Fd, (byte*)&ignored, sizeof(long));
            Volatile.Write(ref _wakePending, 0);
            return;
        }
        if (_slots.Find(data, out int tag) is not { } handler) return;
        try
        {
            handler.OnEvents(tag, events);
        }
        catch (Exception e)
        {
            handler.OnFault(e);
        }
    }

    private void RunPosted()
    {
        while (_posted.TryDequeue(out Action? action))
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                _onLoopFault(e);
            }
        }
    }

    private void Control(int op, int fd, uint events, int slot)
    {
        if (!TryControl(op, fd, events, slot, out int errno)) throw new NativeCallException("epoll_ctl", errno);
    }

    private bool TryControl(int op, int fd, uint events, int slot, out int errno)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + DataOffset) = _slots.EventData(slot);
        int result = Libc.epoll_ctl(_epoll.Fd, op, fd, ev);
        errno = result == 0 ? 0 : Libc.LastErrno;
        return result == 0;
    }

    /// <summary>
    /// Stops the thread and releases the epoll instance and the event buffer. If the thread does not
    /// leave in time (stuck in a slow observer), both are left to it: freeing the buffer under a
    /// running epoll_wait would corrupt memory, and closing the epoll fd could let another descriptor reuse its number.
    /// </summary>
    public bool Dispose(TimeSpan joinTimeout)
    {
        if (_disposed) return true;
        if (!StopAndJoin(joinTimeout)) return false;
        _disposed = true;
        _wakeEvent.Dispose();
        _epoll.Dispose();
        NativeMemory.Free(_events);
        return true;
    }

    public void Dispose() => Dispose(TimeSpan.FromSeconds(2));
}
