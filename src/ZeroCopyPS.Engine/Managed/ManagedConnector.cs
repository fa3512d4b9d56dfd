using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Managed;

/// <summary>
/// The managed engine's hands for <see cref="ConnectSequencer"/>: attempts as .NET connects, at most two
/// at once, each cancelled at its own deadline, the first to connect wins and the others are closed.
/// </summary>
internal sealed class ManagedConnector
{
    private readonly ConnectSequencer _sequencer;
    private readonly CancellationToken _abort;
    private readonly ConnectionCore _owner;
    private readonly List<ManagedAttempt> _attempts = new(ConnectSequencer.MaxAttemptsInFlight);

    public ManagedConnector(ConnectSequencer sequencer, ConnectionCore owner, CancellationToken abort)
    {
        _sequencer = sequencer;
        _owner = owner;
        _abort = abort;
    }

    /// <summary>
    /// Targets in the pool's order for this client until one connects or the connect timeout is over; a
    /// target whose DNS or every address fails counts against its health (docs/ARCHITECTURE.md, "Several
    /// targets"). Throws <see cref="ConnectFailedException"/> when no target is left.
    /// </summary>
    public static async Task<(Socket Socket, EndPoint Address, EndPoint? LocalEndPoint)> ConnectToATargetAsync(ConnectionCore core, object gate, CancellationToken abort)
    {
        string? lastError = null;
        while (true)
        {
            long now = Environment.TickCount64;
            TargetState? target;
            lock (gate) target = core.ChooseTarget(now);
            if (target is null) throw new ConnectFailedException(core.ConnectFailureText(now, lastError));
            EndPoint[] addresses;
            try
            {
                addresses = await target.Dns.ResolveAsync(now).WaitAsync(abort).ConfigureAwait(false);
            }
            catch (DnsLookupException e)
            {
                lastError = e.Message;
                lock (gate) core.OnTargetFailed(lastError);
                continue;
            }
            ConnectSequencer sequencer;
            lock (gate) sequencer = core.BeginConnect(addresses, Environment.TickCount64);
            try
            {
                return await new ManagedConnector(sequencer, core, abort).ConnectAsync().ConfigureAwait(false);
            }
            catch (ConnectFailedException)
            {
                lastError = sequencer.LastError;
                lock (gate) core.OnTargetFailed(lastError ?? "no address answered");
            }
        }
    }

    /// <summary>The connected socket and its address; throws <see cref="ConnectFailedException"/> when the sequencer gives up.</summary>
    public async Task<(Socket Socket, EndPoint Address, EndPoint? LocalEndPoint)> ConnectAsync()
    {
        try
        {
            while (true)
            {
                long now = Environment.TickCount64;
                ConnectStep step = _sequencer.Next(now);
                if (step.Kind == ConnectStepKind.GiveUp) throw new ConnectFailedException();
                if (step.Kind == ConnectStepKind.Start)
                {
                    _attempts.Add(ManagedAttempt.Start(step.Address!, now, step.AtMs, _owner, _abort));
                    continue;
                }
                long wakeAt = _attempts.Aggregate(step.AtMs, (earliest, a) => Math.Min(earliest, a.DeadlineMs));
                Task wake = Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, wakeAt - now)), _abort);
                await Task.WhenAny(_attempts.Select(a => a.Task).Append(wake)).ConfigureAwait(false);
                _abort.ThrowIfCancellationRequested();
                if (Settle(Environment.TickCount64) is { } winner) return winner;
            }
        }
        finally
        {
            foreach (ManagedAttempt attempt in _attempts) attempt.Abandon();
        }
    }

    // Reports every attempt that ended or ran out of time to the sequencer; returns a winner if one connected.
    private (Socket, EndPoint, EndPoint?)? Settle(long nowMs)
    {
        for (int i = _attempts.Count - 1; i >= 0; i--)
        {
            ManagedAttempt attempt = _attempts[i];
            if (attempt.Task.IsCompletedSuccessfully)
            {
                _attempts.RemoveAt(i);
                attempt.Keep();
                _sequencer.OnAttemptConnected();
                return (attempt.Socket, attempt.Address, attempt.LocalEndPoint);
            }
            if (attempt.Task.IsCompleted)
            {
                _attempts.RemoveAt(i);
                attempt.Abandon();
                SocketError error = attempt.Task.Exception?.GetBaseException() is SocketException s ? s.SocketErrorCode : SocketError.SocketError;
                int errno = FailureClassifier.ToErrno(error);
                string description = errno != 0 ? FailureClassifier.Describe(errno) : attempt.Task.Exception?.GetBaseException().Message ?? error.ToString();
                _sequencer.OnAttemptFailed(attempt.Address, FailureClassifier.Classify(errno), description, nowMs);
            }
            else if (nowMs >= attempt.DeadlineMs)
            {
                _attempts.RemoveAt(i);
                attempt.Abandon();
                _sequencer.OnAttemptTimedOut(attempt.Address, attempt.StartedMs, nowMs);
            }
        }
        return null;
    }
}
