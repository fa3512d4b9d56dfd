using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ZeroCopyPS.TestSupport;

/// <summary>Native socket calls a test needs where .NET would do more than asked (a bound .NET Socket deletes its file on Dispose).</summary>
public static unsafe class NativeSocketForTests
{
    [DllImport("libc", SetLastError = true)]
    private static extern int socket(int domain, int type, int protocol);

    [DllImport("libc", SetLastError = true)]
    private static extern int bind(int fd, byte* address, int length);

    /// <summary>An AF_UNIX stream socket bound to <paramref name="path"/>, not listening.</summary>
    public static IntPtr BindUnix(string path)
    {
        int fd = socket(1, 1, 0);
        if (fd < 0) throw new SocketException(Marshal.GetLastPInvokeError());
        var address = new UnixDomainSocketEndPoint(path).Serialize();
        byte[] bytes = address.Buffer[..address.Size].ToArray();
        fixed (byte* p = bytes)
        {
            if (bind(fd, p, bytes.Length) != 0) throw new SocketException(Marshal.GetLastPInvokeError());
        }
        return fd;
    }
}
