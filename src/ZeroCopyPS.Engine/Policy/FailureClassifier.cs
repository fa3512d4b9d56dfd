using System.Net.Sockets;
using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// The one table that says what an errno means to the proxy, for both engines: the epoll engine
/// classifies the errno of its own calls, the managed engine first maps .NET's <see cref="SocketError"/>
/// to the same errno (docs/ARCHITECTURE.md, "Connection policy").
/// </summary>
internal static class FailureClassifier
{
    public static FailureKind Classify(int errno) => errno switch
    {
        Errno.ECONNRESET => FailureKind.PeerReset,
        Errno.EPIPE or Errno.ENOTCONN or Errno.ECONNABORTED or Errno.ETIMEDOUT or Errno.ESHUTDOWN => FailureKind.PeerGone,
        Errno.ECONNREFUSED or Errno.ENOENT => FailureKind.Refused,
        Errno.EHOSTUNREACH or Errno.ENETUNREACH or Errno.EADDRNOTAVAIL or Errno.ENETDOWN => FailureKind.Unreachable,
        Errno.EAGAIN or Errno.EINPROGRESS => FailureKind.WouldBlock,
        Errno.EINVAL or Errno.ENOSYS or Errno.EBADF or Errno.EOPNOTSUPP => FailureKind.NotSupported,
        Errno.EMFILE or Errno.ENFILE or Errno.ENOBUFS or Errno.ENOMEM => FailureKind.ResourceExhausted,
        _ => FailureKind.Other,
    };

    /// <summary>How a connection that failed this way during the relay is reported.</summary>
    public static CloseReason CloseReasonFor(FailureKind kind) =>
        kind is FailureKind.PeerReset or FailureKind.PeerGone or FailureKind.Unreachable ? CloseReason.Reset : CloseReason.Error;

    /// <summary>The errno behind a .NET socket error, so the managed engine's failures go through the same table.</summary>
    public static int ToErrno(SocketError error) => error switch
    {
        SocketError.ConnectionReset => Errno.ECONNRESET,
        SocketError.Shutdown => Errno.EPIPE,
        SocketError.ConnectionAborted or SocketError.OperationAborted => Errno.ECONNABORTED,
        SocketError.NotConnected => Errno.ENOTCONN,
        SocketError.TimedOut => Errno.ETIMEDOUT,
        SocketError.ConnectionRefused => Errno.ECONNREFUSED,
        SocketError.HostUnreachable or SocketError.HostDown => Errno.EHOSTUNREACH,
        SocketError.NetworkUnreachable => Errno.ENETUNREACH,
        SocketError.NetworkDown => Errno.ENETDOWN,
        // .NET reports a Unix path with no socket file behind it as AddressNotAvailable.
        SocketError.AddressNotAvailable => Errno.EADDRNOTAVAIL,
        SocketError.WouldBlock or SocketError.TryAgain or SocketError.InProgress => Errno.EAGAIN,
        SocketError.TooManyOpenSockets => Errno.EMFILE,
        SocketError.NoBufferSpaceAvailable => Errno.ENOBUFS,
        SocketError.OperationNotSupported or SocketError.ProtocolNotSupported => Errno.EOPNOTSUPP,
        SocketError.AccessDenied => Errno.EACCES,
        SocketError.InvalidArgument => Errno.EINVAL,
        _ => 0,
    };

    /// <summary>The kernel's words for an errno, with its number; for error texts.</summary>
    public static string Describe(int errno) => Errno.Describe(errno);
}
