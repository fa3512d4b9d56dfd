using System.Runtime.InteropServices;

namespace ZeroCopyPS.Engine.Interop;

/// <summary>struct pollfd.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public const short POLLIN = 0x001;
    public const short POLLPRI = 0x002;
    public const short POLLOUT = 0x004;

    public int Fd;
    public short Events;
    public short ReturnedEvents;
}
