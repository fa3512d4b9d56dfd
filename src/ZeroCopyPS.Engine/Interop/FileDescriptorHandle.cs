using System.Runtime.InteropServices;

namespace ZeroCopyPS.Engine.Interop;

/// <summary>
/// Owns one file descriptor. The copy path reads <see cref="Fd"/> directly instead of passing the
/// handle to each syscall: only the owning event-loop thread disposes it, so the fd cannot be closed
/// (and reused) under a call in flight, and the AddRef/Release pair per chunk is avoided.
/// </summary>
internal sealed class FileDescriptorHandle : SafeHandle
{
    public FileDescriptorHandle(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => Libc.close((int)handle.ToInt64()) == 0;
}
