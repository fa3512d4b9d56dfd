using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// The active health check: every <c>HealthCheckInterval</c> each target gets one connect (TCP or Unix)
/// with the connect timeout, off the event loops; an answer brings a down target back up, failures
/// count toward marking it down like failed connects do. One round at a time; disposed with the proxy.
/// </summary>
internal sealed class HealthChecker : IDisposable
{
    private readonly ProxyRuntime _runtime;
    private readonly Timer _timer;
    private readonly CancellationTokenSource _stop = new();
    private int _running;

    public HealthChecker(ProxyRuntime runtime, TimeSpan interval)
    {
        _runtime = runtime;
        _timer = new Timer(_ => _ = RoundAsync(), null, interval, interval);
    }

    private async Task RoundAsync()
    {
        if (Interlocked.Exchange(ref _running, 1) != 0) return; // the last round still runs
        try
        {
            await Task.WhenAll(_runtime.Targets.All.Select(CheckAsync)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A check's failure is the target's, already recorded; nothing may escape a timer callback.
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task CheckAsync(TargetState target)
    {
        string why;
        try
        {
            EndPoint[] addresses = await target.Dns.ResolveAsync(Environment.TickCount64).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(_runtime.Options.ConnectTimeout);
            foreach (EndPoint address in addresses)
            {
                using var probe = new Socket(address.AddressFamily, SocketType.Stream, address.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
                try
                {
                    await probe.ConnectAsync(address, timeout.Token).ConfigureAwait(false);
                    target.OnCheck(answered: true, "", _runtime.Options.HealthFailureThreshold, _runtime.CoolDownMs);
                    return;
                }
                catch (SocketException)
                {
                }
            }
            why = "the health check's connect failed on every address";
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            why = "the health check's connect timed out";
        }
        catch (Exception e) when (e is DnsLookupException or SocketException)
        {
            why = "the health check could not resolve it: " + e.Message;
        }
        if (!_stop.IsCancellationRequested) target.OnCheck(answered: false, why, _runtime.Options.HealthFailureThreshold, _runtime.CoolDownMs);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _timer.Dispose();
    }
}
