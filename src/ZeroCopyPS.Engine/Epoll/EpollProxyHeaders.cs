using System.Net;
using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;
using ZeroCopyPS.Engine.ProxyProtocol;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// PROXY protocol I/O on raw descriptors (docs/ARCHITECTURE.md, "PROXY protocol"): reading a client's
/// header without consuming a byte of the stream behind it, and writing ours to a target.
/// </summary>
internal static unsafe class EpollProxyHeaders
{
    /// <summary>
    /// Peeks at what the client sent; when a whole header is there, consumes exactly its bytes. Null
    /// <paramref name="header"/> and null <paramref name="failure"/>: not all there yet, wait for more.
    /// </summary>
    public static void TryRead(int clientFd, out ProxyHeader? header, out (CloseReason Reason, string Text)? failure)
    {
        header = null;
        failure = null;
        byte* peeked = stackalloc byte[ProxyHeaderParser.MaxHeaderBytes];
        nint n = Libc.recv(clientFd, peeked, ProxyHeaderParser.MaxHeaderBytes, Flags.MSG_PEEK);
        if (n < 0)
        {
            int errno = Libc.LastErrno;
            if (errno != Errno.EAGAIN) failure = (FailureClassifier.CloseReasonFor(FailureClassifier.Classify(errno)), $"reading the PROXY header: {FailureClassifier.Describe(errno)}");
            return;
        }
        if (n == 0)
        {
            failure = (CloseReason.BadProxyHeader, "the client closed before sending a whole PROXY protocol header");
            return;
        }
        ProxyHeaderStatus status = ProxyHeaderParser.Parse(new ReadOnlySpan<byte>(peeked, (int)n), out ProxyHeader? parsed, out string? error);
        if (status == ProxyHeaderStatus.Incomplete) return;
        if (status == ProxyHeaderStatus.Invalid)
        {
            failure = (CloseReason.BadProxyHeader, "PROXY protocol header refused: " + error);
            return;
        }
        if (Libc.recv(clientFd, peeked, (nuint)parsed!.Length, 0) != parsed.Length)
        {
            failure = (CloseReason.Error, "could not consume the PROXY header just peeked");
            return;
        }
        header = parsed;
    }

    /// <summary>
    /// Writes our header to a freshly connected target, when the proxy sends one (HAProxy's send-proxy: the
    /// target learns who the client is before the client's first byte); null when it went or none is
    /// sent, else why not. The header is far smaller than a fresh connection's send buffer, so one write
    /// takes it whole. <paramref name="destination"/>: what the client's own header named, else null
    /// (the client socket's local address is used).
    /// </summary>
    public static string? TrySend(int targetFd, ConnectionCore core, int clientFd, EndPoint? destination)
    {
        ProxyProtocolVersion version = core.Proxy.Options.SendProxyProtocol;
        if (version == ProxyProtocolVersion.None) return null;
        byte[] header = ProxyHeaderWriter.Build(version, core.Client as IPEndPoint, destination ?? NativeSocket.GetLocalEndPoint(clientFd));
        nint written;
        fixed (byte* data = header) written = Libc.write(targetFd, data, (nuint)header.Length);
        if (written == header.Length) return null;
        int errno = written < 0 ? Libc.LastErrno : Errno.EAGAIN;
        return $"could not send the PROXY header to the target: {FailureClassifier.Describe(errno)}";
    }
}
