using System.Buffers;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Managed;

/// <summary>The plain copy of one direction of a managed connection: read from the source, send to the destination.</summary>
internal sealed partial class ManagedConnection
{
    // Invariant: a zero-byte receive is pending on the source whenever this direction waits, also while
    // a send to a slow destination is pending, so a reset or error from the source is seen at once
    // whatever the destination does (docs/ARCHITECTURE.md, "Connection policy": resets travel at once).
    // A direction that does not wait issues none: while the source has bytes queued and each send completes
    // at once, a chunk is a read and a send that both complete synchronously, and allocates nothing; each
    // wait costs a Task or three (docs/benchmarks.md section 5).
    private async Task CopyAsync(Socket source, Socket destination, ManagedDirection direction)
    {
        CancellationToken token = _abort.Token;
        int bufferSize = _core.Proxy.Options.BufferSizeBytes;
        byte[]? buffer = null;
        RelaySide side = RelaySide.Source;
        try
        {
            // Wait for data without a buffer: an idle connection holds none.
            Task<int>? sourceReady = WaitForSource(source);
            while (true)
            {
                side = RelaySide.Source;
                try
                {
                    if (sourceReady is not null) await sourceReady.ConfigureAwait(false);
                    else _stopReading.Token.ThrowIfCancellationRequested(); // read on at once, as a graceful close allows
                }
                catch (OperationCanceledException) when (_gracefulClose && !_abort.IsCancellationRequested)
                {
                    break; // a graceful close: what was read is delivered, now the FIN
                }
                sourceReady = null;
                if (FaultGate(direction) is { } gate) // nothing is in flight here; the fault way has its own buffers
                {
                    if (buffer is not null) ArrayPool<byte>.Shared.Return(Interlocked.Exchange(ref buffer, null)!);
                    if (await CopyFaultedAsync(source, destination, direction, gate).ConfigureAwait(false)) break;
                    sourceReady = WaitForSource(source);
                    continue;
                }
                // The zero-byte receive may complete on a stale readiness edge (.NET makes no syscall for it):
                // rent only when there is something to read, or an end (EOF, error) to read.
                if (buffer is null && source.Available == 0 && !source.Poll(0, SelectMode.SelectRead))
                {
                    sourceReady = WaitForSource(source);
                    continue;
                }
                buffer ??= ArrayPool<byte>.Shared.Rent(bufferSize);
                int read = await source.ReceiveAsync(buffer.AsMemory(0, bufferSize), SocketFlags.None, token).ConfigureAwait(false);
                if (read == 0) break;
                direction.Progress(read, 0);
                for (int sent = 0; sent < read;)
                {
                    side = RelaySide.Destination;
                    ValueTask<int> sending = destination.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, token);
                    int n;
                    if (sending.IsCompletedSuccessfully) n = sending.Result;
                    else
                    {
                        // The send waits for the destination: from now on the source is watched.
                        Task<int> send = sending.AsTask();
                        sourceReady ??= WaitForSource(source);
                        if (!send.IsCompleted) await ManagedSockets.WatchSourceWhileSending(source, send, sourceReady, token).ConfigureAwait(false);
                        side = RelaySide.Destination;
                        n = await send.ConfigureAwait(false);
                    }
                    sent += n;
                    direction.Progress(0, n);
                    _engine.Traffic.AddCopied(direction.ClientToTarget, n);
                }
                // A short read drained the socket: the buffer goes back until the next burst.
                if (read < bufferSize)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
                // Bytes queued at the source: read them at once. Otherwise wait (the zero-byte receive, pending
                // already if a send waited).
                if (buffer is null || source.Available == 0) sourceReady ??= WaitForSource(source);
            }
            // Who finished first is decided here, before the FIN goes: once it has gone, the other side's
            // answering FIN could overtake this thread.
            lock (_gate) _core.NoteFinished(direction.ClientToTarget);
            side = RelaySide.Destination;
            destination.Shutdown(SocketShutdown.Send);
            direction.Finished = true;
            RearmTimer(); // half-closed: the remaining direction's own timer may now come first
        }
        catch (SocketException e)
        {
            RecordFailure(FailureClassifier.ToErrno(e.SocketErrorCode), direction.ClientToTarget == (side == RelaySide.Source),
                side == RelaySide.Source ? "receive(source)" : "send(destination)");
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Cancelled by the other direction's failure, a timeout or a stop: the cause is recorded there.
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The zero-byte receive a waiting direction keeps pending on its source (see CopyAsync); a graceful close cancels it.
    private Task<int> WaitForSource(Socket source) => source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, _stopReading.Token).AsTask();
}
