using System.Net.Sockets;
using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Managed;

/// <summary>One direction of a managed connection: its counts, written by its copy task, read by the timer thread and at close.</summary>
internal sealed class ManagedDirection(bool clientToTarget)
{
    private long _read;
    private long _written;
    private long _lastProgressMs = Environment.TickCount64;

    public bool ClientToTarget { get; } = clientToTarget;

    public bool Finished { get; set; }

    /// <summary>
    /// Why these bytes were not spliced: this engine cannot, because the platform has no splice or because
    /// the managed engine was chosen where it does (by -Engine Managed). None when Buffered was asked for.
    /// </summary>
    public FallbackReason Fallback { get; init; }

    public long LastProgressMs
    {
        get => Volatile.Read(ref _lastProgressMs);
        set => Volatile.Write(ref _lastProgressMs, value);
    }

    public long InFlight => Volatile.Read(ref _read) - Volatile.Read(ref _written);

    /// <summary>Bytes the destination took so far.</summary>
    public long Written => Volatile.Read(ref _written);

    public void Progress(long read, long written)
    {
        if (read > 0) Interlocked.Add(ref _read, read);
        if (written > 0) Interlocked.Add(ref _written, written);
        LastProgressMs = Environment.TickCount64;
    }

    // The destination's send queue is read before the socket closes (Linux only; elsewhere it counts as delivered).
    public DirectionTotals Totals(Socket? destination, bool abortive)
    {
        long written = Volatile.Read(ref _written);
        long unsent = abortive && destination is { AddressFamily: not AddressFamily.Unix } && OperatingSystem.IsLinux()
            ? Math.Min(NativeSocket.SendQueueBytes((int)destination.Handle, finSent: Finished), written) : 0;
        return new DirectionTotals(written, 0, written, InFlight, unsent, false, Fallback, Finished);
    }
}
