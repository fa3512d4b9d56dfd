using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace ZeroCopyPS.LoadGen;

/// <summary>What the soak server does with one connection, as the client's header tells it.</summary>
[Flags]
internal enum SoakFlags : uint
{
    None = 0,

    /// <summary>Read until the client's EOF (it half-closed), then reply: the reply travels after a FIN.</summary>
    ReplyAfterEof = 1,

    /// <summary>Read the request in small pieces with a pause between them: a slow server-side reader.</summary>
    SlowRead = 2,
}

/// <summary>
/// The soak wire format. The client opens with a 32-byte header (magic, flags, a tag unique in the run,
/// request length, reply length); the server reads the request, answers with the reply and half-closes,
/// then reads until the client's EOF. The tag lets client and server records be joined exactly; payload
/// bytes follow a per-tag pattern so either end can check the content it received, not only its length.
/// </summary>
internal static class SoakProtocol
{
    public const int HeaderBytes = 32;
    private const uint Magic = 0x4B4F535A;   // "ZSOK"

    // A prime period longer than any single read or write (64 KiB), so chunks never line up with it and a
    // misplaced or repeated block of a stream does not look like the right bytes. The buffer holds it twice:
    // any offset plus up to one period is then one contiguous slice (vectorized SequenceEqual, no modulo per byte).
    private const int Period = 65_537;
    private static readonly byte[] Pattern = CreatePattern();

    public const int MaxChunk = 65_536;

    private static byte[] CreatePattern()
    {
        var random = new Random(20240611);
        byte[] pattern = new byte[2 * Period];
        random.NextBytes(pattern.AsSpan(0, Period));
        pattern.AsSpan(0, Period).CopyTo(pattern.AsSpan(Period));
        return pattern;
    }

    public static void WriteHeader(Span<byte> header, SoakFlags flags, long tag, long requestBytes, long replyBytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)flags);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], tag);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], requestBytes);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], replyBytes);
    }

    public static bool TryReadHeader(ReadOnlySpan<byte> header, out SoakFlags flags, out long tag, out long requestBytes, out long replyBytes)
    {
        flags = (SoakFlags)BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        tag = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        requestBytes = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        replyBytes = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
        return BinaryPrimitives.ReadUInt32LittleEndian(header) == Magic && requestBytes >= 0 && replyBytes >= 0;
    }

    /// <summary>Where a stream's pattern starts: requests and replies of one tag differ, so swapped directions show.</summary>
    public static int Start(long tag, bool reply) => (int)((ulong)(tag * 2 + (reply ? 1 : 0)) * 7_919UL % Period);

    /// <summary>The bytes a sender puts at <paramref name="offset"/> of its stream (at most <see cref="MaxChunk"/>).</summary>
    public static ReadOnlyMemory<byte> Chunk(int start, long offset, int length) =>
        Pattern.AsMemory((int)((start + offset) % Period), Math.Min(length, MaxChunk));

    /// <summary>True when <paramref name="received"/>, found at <paramref name="offset"/> of the stream, is what was sent there.</summary>
    public static bool Matches(int start, long offset, ReadOnlySpan<byte> received)
    {
        while (!received.IsEmpty)
        {
            int n = Math.Min(received.Length, MaxChunk);
            if (!received[..n].SequenceEqual(Pattern.AsSpan((int)((start + offset) % Period), n))) return false;
            received = received[n..];
            offset += n;
        }
        return true;
    }

    /// <summary>Exception text for a record: the socket error name when there is one (stable, short), else the message.</summary>
    public static string Describe(Exception e) => e switch
    {
        System.Net.Sockets.SocketException s => s.SocketErrorCode.ToString(),
        _ => e.GetType().Name + ": " + e.Message,
    };
}

/// <summary>
/// One JSON object per line, from many threads, into a file. Lines are built by the caller and written under
/// a lock through a buffered stream, so a record is never interleaved with another and writing costs no syscall
/// per record. Dispose flushes.
/// </summary>
internal sealed class JsonLinesWriter : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly object _lock = new();
    private long _lines;

    public JsonLinesWriter(string path)
    {
        _writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 16);
    }

    public long Lines => Interlocked.Read(ref _lines);

    public void Write(object record)
    {
        string line = JsonSerializer.Serialize(record);
        lock (_lock)
        {
            _writer.WriteLine(line);
            _lines++;
        }
    }

    public void Dispose()
    {
        lock (_lock) _writer.Dispose();
    }
}
