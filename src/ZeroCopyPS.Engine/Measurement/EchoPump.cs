using System.Diagnostics;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// The bulk phase of Measure-SocketCopy -Endpoint: sends a number of bytes to an echoing endpoint and reads
/// the echo back, on one thread and without ever blocking on either side. An echo server with small buffers
/// stops reading while its reply is not read, so a client that only writes stalls both sides; this one reads
/// whatever has come back before each write (poll(2) on both directions at once, as a plain Python client
/// with a reader thread would). It keeps the time of the last byte each way, so a timeout can say which side
/// stopped moving. See docs/ARCHITECTURE.md, "Measurement".
/// </summary>
internal static class EchoPump
{
    private const int SliceMicroseconds = 100_000;   // a cancellation or the deadline is seen within 0.1 s
    private static readonly TimeSpan Stalled = TimeSpan.FromSeconds(1);

    /// <summary>Stopwatch ticks from the first byte sent to the last echoed byte received.</summary>
    public static long Run(Socket socket, long bytes, TimeSpan timeout, CancellationToken cancellation)
    {
        socket.Blocking = false;
        byte[] sendBuffer = new byte[64 * 1024];
        byte[] receiveBuffer = new byte[256 * 1024];
        var readable = new List<Socket>(1);
        var writable = new List<Socket>(1);
        long sent = 0, received = 0;
        long start = Stopwatch.GetTimestamp(), lastSent = start, lastReceived = start;
        while (received < bytes)
        {
            cancellation.ThrowIfCancellationRequested();
            TimeSpan left = timeout - Stopwatch.GetElapsedTime(start);
            if (left <= TimeSpan.Zero) throw TimedOut(bytes, sent, received, timeout, Stopwatch.GetElapsedTime(lastSent), Stopwatch.GetElapsedTime(lastReceived));
            readable.Clear();
            readable.Add(socket);
            writable.Clear();
            if (sent < bytes) writable.Add(socket);
            Socket.Select(readable, writable.Count > 0 ? writable : null, null, (int)Math.Clamp(left.TotalMicroseconds, 1, SliceMicroseconds));

            if (readable.Count > 0 && Receive(socket, receiveBuffer, bytes, sent, ref received)) lastReceived = Stopwatch.GetTimestamp();
            if (writable.Count > 0 && Send(socket, sendBuffer, bytes, received, ref sent)) lastSent = Stopwatch.GetTimestamp();
        }
        return Stopwatch.GetTimestamp() - start;
    }

    private static bool Receive(Socket socket, byte[] buffer, long bytes, long sent, ref long received)
    {
        int read = socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out SocketError error);
        if (error == SocketError.WouldBlock) return false;
        if (error != SocketError.Success)
            throw new EndpointProbeException(EndpointFailure.Failed, $"The bulk phase failed after {received} bytes came back: {new SocketException((int)error).Message}");
        if (read == 0)
            throw new EndpointProbeException(EndpointFailure.NotEchoing,
                $"The endpoint closed the stream after echoing {received} of {bytes} bytes. Measure-SocketCopy -Endpoint needs a target that echoes every byte.");
        received += read;
        if (received > sent)
            throw new EndpointProbeException(EndpointFailure.NotEchoing,
                $"The endpoint sent {received} bytes back after receiving {sent}: it is not an echo server.");
        return true;
    }

    private static bool Send(Socket socket, byte[] buffer, long bytes, long received, ref long sent)
    {
        int written = socket.Send(buffer, 0, (int)Math.Min(buffer.Length, bytes - sent), SocketFlags.None, out SocketError error);
        if (error == SocketError.WouldBlock) return false;
        if (error != SocketError.Success)
            throw new EndpointProbeException(EndpointFailure.Failed,
                $"The bulk phase failed after {sent} bytes sent and {received} came back: {new SocketException((int)error).Message}");
        sent += written;
        if (sent == bytes) socket.Shutdown(SocketShutdown.Send);   // the echo server sees EOF and may finish
        return true;
    }

    // Says which side stopped: the endpoint taking our bytes (its receive window stayed full), or the echo
    // coming back; a side that moved within the last second is "still moving", just slowly.
    private static EndpointProbeException TimedOut(long bytes, long sent, long received, TimeSpan timeout, TimeSpan sinceSent, TimeSpan sinceReceived)
    {
        string seconds = timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        string sending = sent == bytes ? "Every byte was sent" :
            sinceSent >= Stalled ? $"The endpoint stopped taking bytes {Ago(sinceSent)} (its receive window stayed full)" :
            "The endpoint was still taking bytes";
        string echo = received == 0 ? "nothing came back: is the endpoint (or the proxy's target) an echo server? Measure-SocketCopy -Endpoint needs one." :
            sinceReceived >= Stalled ? $"the echo stopped {Ago(sinceReceived)}, {sent - received} bytes short of what was sent." :
            "the echo was still coming back, slowly: raise -Duration or lower -BulkSize.";
        return new EndpointProbeException(received == 0 ? EndpointFailure.NotEchoing : EndpointFailure.TimedOut,
            $"The bulk phase did not finish within {seconds} s: {sent} of {bytes} bytes sent, {received} came back. {sending}; {echo}");
    }

    private static string Ago(TimeSpan span) => $"{span.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} s before the deadline";
}
