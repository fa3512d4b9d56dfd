using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// The file a Measure-SocketCopy -Source File copy sends: <see cref="LengthBytes"/> bytes of a fixed
/// pseudo-random pattern (not zeros, so a copy that skipped or repeated a range would change the bytes'
/// hash), in a new file in a new directory of its own under the temp folder. The directory comes from
/// Directory.CreateTempSubdirectory (a unique name, mode 0700), the file is created with FileMode.CreateNew
/// (O_CREAT | O_EXCL), flushed to the device so no write-back runs during the timed copies, and read back once
/// so every copy starts with the page cache warm. Dispose closes the descriptor and deletes exactly what
/// this object created: the file, only while the path still holds the very inode it made (a file put in its
/// place is left alone), then the directory if it is empty, never anything else.
/// </summary>
public sealed class CopySourceFile : IDisposable
{
    private const int ChunkBytes = 1024 * 1024;
    private readonly FileDescriptorHandle _handle;
    private readonly FileIdentity _created;
    private bool _disposed;

    private CopySourceFile(string directory, string path, long lengthBytes, FileDescriptorHandle handle, FileIdentity created)
    {
        _created = created;
        DirectoryPath = directory;
        FilePath = path;
        LengthBytes = lengthBytes;
        _handle = handle;
    }

    /// <summary>The directory this object created (and deletes).</summary>
    public string DirectoryPath { get; }

    /// <summary>The file this object created (and deletes).</summary>
    public string FilePath { get; }

    public long LengthBytes { get; }

    /// <summary>The read-only descriptor the copiers send from (with explicit offsets: the file position never moves).</summary>
    internal int Fd => _handle.Fd;

    /// <summary>Creates, fills, flushes and reads back the file; throws IOException (or UnauthorizedAccessException) when the temp folder refuses.</summary>
    public static CopySourceFile Create(long lengthBytes, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lengthBytes);
        if (!NativeFile.IsSupported) throw new PlatformNotSupportedException("A file source is opened with Linux system calls.");
        string directory = Directory.CreateTempSubdirectory("zcps-measure-").FullName;
        string path = Path.Combine(directory, $"source-{lengthBytes}.bin");
        FileDescriptorHandle? handle = null;
        FileIdentity? created = null;
        try
        {
            Fill(path, lengthBytes, seed, out created);
            handle = NativeFile.OpenReadOnly(path, out int errno)
                ?? throw new IOException($"open(2) of the measurement file '{path}' failed: {new NativeCallException("open", errno).Message}");
            return new CopySourceFile(directory, path, lengthBytes, handle,
                created ?? throw new IOException($"The measurement file '{path}' is not the regular file just created."));
        }
        catch
        {
            handle?.Dispose();
            Remove(directory, path, created);
            throw;
        }
    }

    /// <summary>The bytes the file holds, for a test to compare with what a copy delivered.</summary>
    public byte[] ComputeSha256()
    {
        using var stream = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return System.Security.Cryptography.SHA256.HashData(stream);
    }

    private static void Fill(string path, long lengthBytes, int seed, out FileIdentity? created)
    {
        created = null;
        var random = new Random(seed);
        byte[] chunk = new byte[(int)Math.Min(ChunkBytes, Math.Max(lengthBytes, 1))];
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0))
        {
            // CreateNew succeeded: this inode is ours (the directory is new and 0700), and only it may be removed.
            if (NativeFile.Lstat(path, out FileIdentity identity, out _) == FileKind.RegularFile) created = identity;
            for (long left = lengthBytes; left > 0;)
            {
                int n = (int)Math.Min(chunk.Length, left);
                random.NextBytes(chunk.AsSpan(0, n));
                stream.Write(chunk, 0, n);
                left -= n;
            }
            stream.Flush(flushToDisk: true);
            // Read it back once: the timed copies then start from the page cache, as a served file would.
            stream.Position = 0;
            while (stream.Read(chunk, 0, chunk.Length) > 0) { }
        }
    }

    private static void Remove(string directory, string path, FileIdentity? created)
    {
        if (created is { } ours && NativeFile.Lstat(path, out FileIdentity now, out _) == FileKind.RegularFile && now == ours)
            NativeFile.Unlink(path);
        try { Directory.Delete(directory, recursive: false); }   // only when empty: never what someone else put there
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _handle.Dispose();
        Remove(DirectoryPath, FilePath, _created);
    }
}
