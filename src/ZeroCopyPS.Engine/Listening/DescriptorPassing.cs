using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Listening;

/// <summary>
/// sendmsg/recvmsg with SCM_RIGHTS over a Unix stream socket: how listening sockets travel to the next
/// instance (docs/ARCHITECTURE.md, "Seamless restart"). The receiver gets new descriptors for the same
/// open sockets, close-on-exec. Layouts are the LP64 Linux ones (x86_64 and arm64): msghdr 56 bytes,
/// iovec 16, cmsghdr 16 before its data.
/// </summary>
internal static unsafe class DescriptorPassing
{
    public const int MaxDescriptors = 64;
    private const int SOL_SOCKET = 1;
    private const int SCM_RIGHTS = 1;
    private const int MSG_CMSG_CLOEXEC = 0x40000000;
    private const int MSG_NOSIGNAL = 0x4000;
    private const int CmsgHeader = 16;

    private static int Space(int descriptors) => CmsgHeader + ((descriptors * sizeof(int) + 7) & ~7);

    /// <summary>Sends <paramref name="payload"/> with <paramref name="descriptors"/> attached: 0 or the errno.</summary>
    public static int Send(int socket, ReadOnlySpan<byte> payload, ReadOnlySpan<int> descriptors)
    {
        if (descriptors.Length > MaxDescriptors) return Errno.EINVAL;
        byte* control = stackalloc byte[Space(MaxDescriptors)];
        byte* message = stackalloc byte[56];
        byte* iov = stackalloc byte[16];
        new Span<byte>(message, 56).Clear();
        fixed (byte* data = payload)
        {
            *(byte**)iov = data;
            *(nuint*)(iov + 8) = (nuint)payload.Length;
            *(byte**)(message + 16) = iov;
            *(nuint*)(message + 24) = 1;
            if (descriptors.Length > 0)
            {
                int space = Space(descriptors.Length);
                new Span<byte>(control, space).Clear();
                *(nuint*)control = (nuint)(CmsgHeader + descriptors.Length * sizeof(int));
                *(int*)(control + 8) = SOL_SOCKET;
                *(int*)(control + 12) = SCM_RIGHTS;
                descriptors.CopyTo(new Span<int>(control + CmsgHeader, descriptors.Length));
                *(byte**)(message + 32) = control;
                *(nuint*)(message + 40) = (nuint)space;
            }
            nint sent;
            do sent = Libc.sendmsg(socket, message, MSG_NOSIGNAL);
            while (sent < 0 && Libc.LastErrno == Errno.EINTR);
            if (sent < 0) return Libc.LastErrno;
            return sent == payload.Length ? 0 : Errno.EPIPE;
        }
    }

    /// <summary>Receives into <paramref name="buffer"/>: the byte count (or -errno) and the descriptors that came with it.</summary>
    public static int Receive(int socket, Span<byte> buffer, List<int> descriptors)
    {
        byte* control = stackalloc byte[Space(MaxDescriptors)];
        byte* message = stackalloc byte[56];
        byte* iov = stackalloc byte[16];
        new Span<byte>(message, 56).Clear();
        fixed (byte* data = buffer)
        {
            *(byte**)iov = data;
            *(nuint*)(iov + 8) = (nuint)buffer.Length;
            *(byte**)(message + 16) = iov;
            *(nuint*)(message + 24) = 1;
            *(byte**)(message + 32) = control;
            *(nuint*)(message + 40) = (nuint)Space(MaxDescriptors);
            nint received;
            do received = Libc.recvmsg(socket, message, MSG_CMSG_CLOEXEC);
            while (received < 0 && Libc.LastErrno == Errno.EINTR);
            if (received < 0) return -Libc.LastErrno;
            nuint controlLength = *(nuint*)(message + 40);
            if (controlLength >= CmsgHeader && *(int*)(control + 8) == SOL_SOCKET && *(int*)(control + 12) == SCM_RIGHTS)
            {
                int count = ((int)*(nuint*)control - CmsgHeader) / sizeof(int);
                for (int i = 0; i < count; i++) descriptors.Add(((int*)(control + CmsgHeader))[i]);
            }
            return (int)received;
        }
    }
}
