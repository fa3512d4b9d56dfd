using System.Text;

namespace ZeroCopyPS.Engine.Interop;

/// <summary>
/// Path calls for Unix socket files: lstat (through statx, whose struct layout is the same on every
/// architecture), unlink and chmod; and the read-only open of Measure-SocketCopy's source file.
/// Linux only; callers check <see cref="IsSupported"/>.
/// </summary>
internal static unsafe class NativeFile
{
    // struct statx offsets (include/uapi/linux/stat.h): stx_mode u16 at 28, stx_ino u64 at 32,
    // stx_dev_major u32 at 136, stx_dev_minor u32 at 140; the struct is 256 bytes.
    private const int StatxSize = 256;
    private const int ModeOffset = 28;
    private const int InodeOffset = 32;
    private const int DeviceMajorOffset = 136;
    private const int DeviceMinorOffset = 140;

    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>lstat: the kind and identity of what is at <paramref name="path"/>; errno 0 on success or for Missing.</summary>
    public static FileKind Lstat(string path, out FileIdentity identity, out int errno)
    {
        identity = default;
        byte* buffer = stackalloc byte[StatxSize];
        int result;
        fixed (byte* p = ToCString(path))
            result = Libc.statx(Flags.AT_FDCWD, p, Flags.AT_SYMLINK_NOFOLLOW, Flags.STATX_TYPE | Flags.STATX_MODE | Flags.STATX_INO, buffer);
        if (result != 0)
        {
            errno = Libc.LastErrno;
            return errno is Errno.ENOENT ? FileKind.Missing : FileKind.Other;
        }
        errno = 0;
        int mode = *(ushort*)(buffer + ModeOffset);
        identity = new FileIdentity(
            ((ulong)*(uint*)(buffer + DeviceMajorOffset) << 32) | *(uint*)(buffer + DeviceMinorOffset),
            *(ulong*)(buffer + InodeOffset));
        return (mode & Flags.S_IFMT) switch
        {
            Flags.S_IFSOCK => FileKind.Socket,
            Flags.S_IFDIR => FileKind.Directory,
            Flags.S_IFREG => FileKind.RegularFile,
            Flags.S_IFLNK => FileKind.SymbolicLink,
            Flags.S_IFIFO => FileKind.Fifo,
            _ => FileKind.Other,
        };
    }

    /// <summary>unlink(2); 0 or the errno.</summary>
    public static int Unlink(string path)
    {
        fixed (byte* p = ToCString(path))
            return Libc.unlink(p) == 0 ? 0 : Libc.LastErrno;
    }

    /// <summary>chmod(2); 0 or the errno.</summary>
    public static int Chmod(string path, int mode)
    {
        fixed (byte* p = ToCString(path))
            return Libc.chmod(p, (uint)mode) == 0 ? 0 : Libc.LastErrno;
    }

    /// <summary>open(2) O_RDONLY | O_CLOEXEC: the descriptor in its handle, or null with the errno.</summary>
    public static FileDescriptorHandle? OpenReadOnly(string path, out int errno)
    {
        int fd;
        fixed (byte* p = ToCString(path))
            fd = Libc.open(p, Flags.O_RDONLY | Flags.O_CLOEXEC);
        errno = fd < 0 ? Libc.LastErrno : 0;
        return fd < 0 ? null : new FileDescriptorHandle(fd);
    }

    private static byte[] ToCString(string path)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }
}
