using System.Net.Sockets;
using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Listening;

/// <summary>
/// The socket file of a <c>unix:/path</c> listener. The product never removes or overwrites a file
/// that is not a socket it created (docs/ARCHITECTURE.md, "Unix socket files"): before bind only a
/// stale socket (lstat says socket, and a nonblocking connect is refused) is removed; anything else at
/// the path is an error. After bind the mode is set before listen, so no client can connect under the
/// umask's permissions, and the inode is remembered: at stop the path is removed only if it is still
/// that socket. Linux only; elsewhere nothing is inspected or removed.
/// </summary>
internal sealed class UnixSocketFile
{
    private readonly FileIdentity _created;
    private int _removed;

    private UnixSocketFile(string path, FileIdentity created)
    {
        Path = path;
        _created = created;
    }

    public string Path { get; }

    /// <summary>Makes the path free for bind, or throws <see cref="ProxyStartException"/> saying what is in the way.</summary>
    public static void PrepareForBind(ProxyEndpoint endpoint, string path)
    {
        if (!NativeFile.IsSupported) return;
        FileKind kind = NativeFile.Lstat(path, out FileIdentity identity, out int errno);
        switch (kind)
        {
            case FileKind.Missing:
                string? directory = System.IO.Path.GetDirectoryName(path);
                if (directory is { Length: > 0 } && NativeFile.Lstat(directory, out _, out _) != FileKind.Directory)
                    throw Failure(endpoint, ProxyStartFailure.ListenDirectoryNotFound, $"the directory '{directory}' does not exist");
                return;
            case FileKind.Socket:
                RemoveIfStale(endpoint, path, identity);
                return;
            case FileKind.Other when errno is Errno.ENOTDIR:
                throw Failure(endpoint, ProxyStartFailure.ListenDirectoryNotFound, "a part of the path is not a directory");
            case FileKind.Other when errno is Errno.EACCES or Errno.EPERM:
                throw Failure(endpoint, ProxyStartFailure.PermissionDenied, $"permission denied while looking at the path: {Errno.Describe(errno)}");
            case FileKind.Other when errno != 0:
                throw Failure(endpoint, ProxyStartFailure.ListenFailed, $"cannot inspect the path: {Errno.Describe(errno)}");
            default:
                throw Failure(endpoint, ProxyStartFailure.ListenPathNotASocket,
                    $"'{path}' is {Describe(kind)}, not a socket, and ZeroCopyPS never removes or replaces it");
        }
    }

    /// <summary>After bind, before listen: sets the mode and remembers the inode this proxy created.</summary>
    public static UnixSocketFile? AfterBind(ProxyEndpoint endpoint, string path, int mode)
    {
        if (!NativeFile.IsSupported) return null;
        int errno = NativeFile.Chmod(path, mode);
        if (errno != 0)
            throw Failure(endpoint, ProxyStartFailure.PermissionDenied, $"cannot set the socket file's mode to {Convert.ToString(mode, 8)}: {Errno.Describe(errno)}");
        if (NativeFile.Lstat(path, out FileIdentity identity, out errno) != FileKind.Socket)
            throw Failure(endpoint, ProxyStartFailure.ListenFailed, "the socket file vanished or was replaced right after bind");
        return new UnixSocketFile(path, identity);
    }

    /// <summary>The socket at <paramref name="path"/> as it is now (a socket taken over, a renamed hand-over socket); null if no socket is there.</summary>
    public static UnixSocketFile? Adopt(string path)
    {
        if (!NativeFile.IsSupported) return null;
        return NativeFile.Lstat(path, out FileIdentity identity, out _) == FileKind.Socket ? new UnixSocketFile(path, identity) : null;
    }

    /// <summary>The socket went to another instance, which removes the file when it stops: this proxy never will.</summary>
    public void Relinquish() => Interlocked.Exchange(ref _removed, 1);

    /// <summary>Removes the path if it is still the socket this proxy created; anything else is left alone. Idempotent, any thread.</summary>
    public void RemoveIfStillOurs()
    {
        if (Interlocked.Exchange(ref _removed, 1) != 0) return;
        if (NativeFile.Lstat(Path, out FileIdentity identity, out _) == FileKind.Socket && identity == _created)
            NativeFile.Unlink(Path);
    }

    // A socket file nobody listens on is what a proxy that died leaves behind; one that answers (even
    // with a full backlog, EAGAIN) belongs to a live listener. The probe never blocks.
    private static void RemoveIfStale(ProxyEndpoint endpoint, string path, FileIdentity identity)
    {
        int answer = NativeSocket.ProbeUnixListener(new UnixDomainSocketEndPoint(path));
        switch (answer)
        {
            case 0 or Errno.EAGAIN or Errno.EINPROGRESS:
                throw Failure(endpoint, ProxyStartFailure.AddressInUse, "another process listens on that socket file");
            case Errno.ECONNREFUSED:
                // Checked again right before unlink: only the stale socket we probed may go.
                if (NativeFile.Lstat(path, out FileIdentity now, out _) == FileKind.Socket && now == identity)
                    NativeFile.Unlink(path);
                return;
            case Errno.EACCES or Errno.EPERM:
                throw Failure(endpoint, ProxyStartFailure.PermissionDenied, "a socket file is there and this user may not connect to it to see whether it is stale");
            default:
                return; // ENOENT (gone meanwhile) and the like: bind reports whatever is still wrong
        }
    }

    private static string Describe(FileKind kind) => kind switch
    {
        FileKind.Directory => "a directory",
        FileKind.RegularFile => "a regular file",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.Fifo => "a FIFO",
        _ => "a special file",
    };

    private static ProxyStartException Failure(ProxyEndpoint endpoint, ProxyStartFailure failure, string why) =>
        new(failure, endpoint.Text, $"Cannot listen on '{endpoint.Text}': {why}.");
}
