using System.Runtime.InteropServices;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// SIGTERM and SIGINT (Ctrl+C) for Start-ZeroCopyProxy -Wait (docs/ARCHITECTURE.md, "Process exit and signals"):
/// the first one is cancelled (the process goes on) and asks for a stop with the drain; a second one cuts the
/// drain short. While this lives the engine's own SIGTERM hook, which stops every proxy with no drain, stands
/// aside (<see cref="ProxyServer.TakeOverTermination"/>). Handlers run on .NET's signal thread and only set
/// flags: the stop itself runs on the cmdlet's side.
/// </summary>
internal sealed class ForegroundSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly IDisposable _termination;
    private readonly PosixSignalRegistration?[] _registrations;
    private ProxyServer? _server;
    private int _signals;
    private int _disposed;

    public ForegroundSignals()
    {
        _termination = ProxyServer.TakeOverTermination();
        _registrations = [TryRegister(PosixSignal.SIGTERM), TryRegister(PosixSignal.SIGINT)];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken StopRequested => _stop.Token;

    /// <summary>Why the stop was asked for (SIGTERM, SIGINT, the hand-over), for the stop's report; null before.</summary>
    public string? StopReason { get; private set; }

    /// <summary>A stop with the drain for another reason (the next instance took the listeners); signals still count from one.</summary>
    public void RequestStop(string reason) => Stop(reason);

    /// <summary>The proxy a second signal cuts the drain of; a second signal before this came cuts it at once.</summary>
    public void Attach(ProxyServer server)
    {
        Volatile.Write(ref _server, server);
        if (Volatile.Read(ref _signals) > 1) server.CutDrainShort();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (PosixSignalRegistration? registration in _registrations) registration?.Dispose();
        _termination.Dispose();
        lock (_stop) _stop.Dispose();
    }

    private PosixSignalRegistration? TryRegister(PosixSignal signal)
    {
        try
        {
            return PosixSignalRegistration.Create(signal, OnSignal);
        }
        catch (Exception e) when (e is PlatformNotSupportedException or IOException)
        {
            // No such signal here (Windows has no SIGTERM registration): Ctrl+C still stops through StopProcessing.
            return null;
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Volatile.Read(ref _disposed) != 0) return;   // the proxy is gone: the signal's default action applies
        context.Cancel = true;
        if (Interlocked.Increment(ref _signals) == 1) Stop(context.Signal.ToString());
        else Volatile.Read(ref _server)?.CutDrainShort();
    }

    private void Stop(string reason)
    {
        lock (_stop)
        {
            if (_stop.IsCancellationRequested || Volatile.Read(ref _disposed) != 0) return;
            StopReason = reason;
            _stop.Cancel();
        }
    }
}
