using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// Measures a live endpoint that echoes what it receives (a proxy in front of an echo server, or an echo
/// server itself): bulk throughput of one stream, then small-message round trips on one connection.
/// The bulk phase reads while it writes (<see cref="EchoPump"/>); the round trips use blocking calls with
/// timeouts. Every socket it opens is closed before it returns, and closing them is also how a Ctrl+C
/// interrupts a blocked call.
/// </summary>
public sealed class EndpointProbe
{
    private const int WarmUpRoundTrips = 20;
    private readonly CancellationToken _cancellation;
    private readonly Action<string, int> _progress;

    public EndpointProbe(Action<string, int> progress, CancellationToken cancellation)
    {
        _progress = progress;
        _cancellation = cancellation;
    }

    public EndpointMeasurement Measure(string endpointText, ProxyEndpoint endpoint, long bulkBytes, int messageSize, int roundTrips, TimeSpan duration)
    {
        var result = new EndpointMeasurement(endpointText) { MessageSizeBytes = messageSize };
        EndPoint[] addresses = Resolve(endpoint);

        if (bulkBytes > 0)
        {
            _progress($"{endpointText}: bulk, {ByteSizeText.Describe(bulkBytes)} echoed", 0);
            using Socket bulk = Connect(addresses, duration, out _, out EndPoint remote);
            result.RemoteAddress = remote.ToString();
            long ticks = Bulk(bulk, bulkBytes, duration);
            double seconds = TimingStatistics.TicksToNanoseconds(ticks) / 1e9;
            result.BulkBytes = bulkBytes;
            result.BulkTime = TimingStatistics.ToTimeSpan(seconds * 1e9);
            result.BulkThroughputMBps = Math.Round(bulkBytes / seconds / 1e6, 1);
            result.BulkThroughputGbps = Math.Round(bulkBytes * 8 / seconds / 1e9, 3);
        }

        _progress($"{endpointText}: {messageSize}-byte round trips", 50);
        using Socket socket = Connect(addresses, duration, out long connectTicks, out EndPoint remoteAddress);
        result.RemoteAddress ??= remoteAddress.ToString();
        result.ConnectTime = TimingStatistics.ToTimeSpan(TimingStatistics.TicksToNanoseconds(connectTicks));
        long[] samples = RoundTrips(socket, messageSize, roundTrips, duration, endpointText, out int count);
        TimingStatistics t = TimingStatistics.FromTicks(samples, count);
        result.RoundTrips = count;
        result.RoundTripP50 = TimingStatistics.ToTimeSpan(t.MedianNanoseconds);
        result.RoundTripP99 = TimingStatistics.ToTimeSpan(t.P99Nanoseconds);
        result.RoundTripMean = TimingStatistics.ToTimeSpan(t.MeanNanoseconds);
        result.RoundTripMin = TimingStatistics.ToTimeSpan(t.MinNanoseconds);
        result.RoundTripMax = TimingStatistics.ToTimeSpan(t.MaxNanoseconds);
        result.RoundTripP50Microseconds = Math.Round(t.MedianNanoseconds / 1000, 2);
        result.RoundTripP99Microseconds = Math.Round(t.P99Nanoseconds / 1000, 2);
        return result;
    }

    private static EndPoint[] Resolve(ProxyEndpoint endpoint)
    {
        if (endpoint.IsUnix)
        {
            string path = endpoint.UnixPath!;
            // connect(2) says ENOENT, which .NET reports as "Cannot assign requested address".
            if (!endpoint.IsAbstractUnix && !File.Exists(path))
                throw new EndpointProbeException(EndpointFailure.ConnectFailed, $"There is no socket file at '{path}'.");
            return new EndPoint[] { new UnixDomainSocketEndPoint(endpoint.IsAbstractUnix ? "\0" + path[1..] : path) };
        }
        if (endpoint.Port == 0)
            throw new EndpointProbeException(EndpointFailure.ConnectFailed, $"'{endpoint.Text}' has no port to connect to.");
        if (endpoint.IsAnyInterface) return new EndPoint[] { new IPEndPoint(IPAddress.Loopback, endpoint.Port) };
        if (endpoint.Address is { } literal) return new EndPoint[] { new IPEndPoint(literal, endpoint.Port) };
        try
        {
            return Dns.GetHostAddresses(endpoint.Host!).Select(a => (EndPoint)new IPEndPoint(a, endpoint.Port)).ToArray();
        }
        catch (SocketException e)
        {
            throw new EndpointProbeException(EndpointFailure.ConnectFailed, $"Could not resolve '{endpoint.Host}': {e.Message}", e);
        }
    }

    private Socket Connect(EndPoint[] addresses, TimeSpan timeout, out long connectTicks, out EndPoint remote)
    {
        Exception? last = null;
        foreach (EndPoint address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, address is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
            try
            {
                if (address is IPEndPoint) socket.NoDelay = true;
                using var connectCts = CancellationTokenSource.CreateLinkedTokenSource(_cancellation);
                connectCts.CancelAfter(timeout);
                long start = Stopwatch.GetTimestamp();
                // ConnectAsync only for the timeout; the socket stays a plain blocking socket afterwards.
                socket.ConnectAsync(address, connectCts.Token).AsTask().GetAwaiter().GetResult();
                connectTicks = Stopwatch.GetTimestamp() - start;
                socket.SendTimeout = socket.ReceiveTimeout = (int)Math.Min(int.MaxValue, Math.Max(1000, timeout.TotalMilliseconds));
                remote = address;
                return socket;
            }
            catch (OperationCanceledException e)
            {
                socket.Dispose();
                _cancellation.ThrowIfCancellationRequested();
                last = new TimeoutException($"connect to {address} did not finish within {timeout.TotalSeconds} s", e);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
        }
        throw new EndpointProbeException(EndpointFailure.ConnectFailed,
            $"Could not connect to {string.Join(", ", addresses.Select(a => a.ToString()))}: {last?.Message}", last);
    }

    /// <summary>Sends <paramref name="bytes"/> and reads the echo back at the same time; returns Stopwatch ticks.</summary>
    private long Bulk(Socket socket, long bytes, TimeSpan timeout)
    {
        try
        {
            return EchoPump.Run(socket, bytes, timeout, _cancellation);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _cancellation.ThrowIfCancellationRequested();
            throw new EndpointProbeException(EndpointFailure.Failed, $"The bulk phase failed: {e.Message}", e);
        }
    }

    private long[] RoundTrips(Socket socket, int messageSize, int roundTrips, TimeSpan duration, string label, out int count)
    {
        using CancellationTokenRegistration abort = _cancellation.Register(socket.Dispose);
        byte[] message = new byte[messageSize];
        byte[] reply = new byte[messageSize];
        for (int i = 0; i < messageSize; i++) message[i] = (byte)('a' + i % 26);
        long[] samples = new long[roundTrips];
        count = 0;
        try
        {
            for (int i = 0; i < WarmUpRoundTrips; i++) RoundTrip(socket, message, reply, first: i == 0, duration);
            var clock = Stopwatch.StartNew();
            long lastProgress = 0;
            while (count < roundTrips && (count == 0 || clock.Elapsed < duration))
            {
                long start = Stopwatch.GetTimestamp();
                RoundTrip(socket, message, reply, first: false, duration);
                samples[count++] = Stopwatch.GetTimestamp() - start;
                if (clock.ElapsedMilliseconds - lastProgress >= 200)
                {
                    lastProgress = clock.ElapsedMilliseconds;
                    _progress($"{label}: {messageSize}-byte round trip {count} of {roundTrips}", 50 + 50 * count / roundTrips);
                }
            }
            socket.Shutdown(SocketShutdown.Send);
            return samples;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _cancellation.ThrowIfCancellationRequested();
            throw new EndpointProbeException(EndpointFailure.Failed, $"Round trip {count + 1} failed: {e.Message}", e);
        }
    }

    // Each timeout says which side stopped: the endpoint not taking the message, or taking it and not echoing it.
    private static void RoundTrip(Socket socket, byte[] message, byte[] reply, bool first, TimeSpan timeout)
    {
        string seconds = timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        int sent = 0;
        try
        {
            while (sent < message.Length) sent += socket.Send(message, sent, message.Length - sent, SocketFlags.None);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            throw new EndpointProbeException(EndpointFailure.TimedOut,
                $"The endpoint took {sent} of a {message.Length}-byte message in {seconds} s: it stopped reading.", e);
        }
        int received = 0;
        while (received < reply.Length)
        {
            int read;
            try
            {
                read = socket.Receive(reply, received, reply.Length - received, SocketFlags.None);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                throw new EndpointProbeException(first && received == 0 ? EndpointFailure.NotEchoing : EndpointFailure.TimedOut,
                    first && received == 0
                        ? $"No echo of a {message.Length}-byte message within {seconds} s: the endpoint took it and sent nothing back. Measure-SocketCopy -Endpoint needs an endpoint that echoes (for example a proxy in front of an echo server)."
                        : $"The endpoint took a {message.Length}-byte message and echoed {received} bytes of it within {seconds} s: the echo stopped.", e);
            }
            if (read == 0)
                throw new EndpointProbeException(EndpointFailure.NotEchoing,
                    $"The endpoint closed the connection instead of echoing a {message.Length}-byte message.");
            received += read;
        }
    }
}
