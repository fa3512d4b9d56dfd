using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Policy;
using ZeroCopyPS.Engine.ProxyProtocol;

namespace ZeroCopyPS.Engine.Managed;

/// <summary>
/// PROXY protocol I/O on .NET sockets (docs/ARCHITECTURE.md, "PROXY protocol"): reading a client's
/// header without consuming a byte of the stream behind it, and writing ours to a target.
/// </summary>
internal static class ManagedProxyHeaders
{
    /// <summary>
    /// Reads exactly the header, never a byte of the stream after it: v2 says its length after 16 bytes;
    /// v1 ends at its LF, read a byte at a time (at most 107). Returns why it was refused (null when
    /// accepted) and the destination the header names.
    /// </summary>
    public static async Task<(string? Refused, EndPoint? Destination)> ReadAsync(Socket client, ConnectionCore core, object gate, CancellationToken token)
    {
        byte[] header = new byte[ProxyHeaderParser.MaxHeaderBytes];
        int have = 0;
        while (true)
        {
            int want = have + 1;
            if (have >= 16 && header.AsSpan(0, 12).SequenceEqual(ProxyHeaderParser.V2Signature))
                want = 16 + BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(14, 2));
            if (want > header.Length) want = header.Length;
            while (have < want)
            {
                int n = await client.ReceiveAsync(header.AsMemory(have, want - have), SocketFlags.None, token).ConfigureAwait(false);
                if (n == 0) return ("the client closed before sending a whole PROXY protocol header", null);
                have += n;
            }
            switch (ProxyHeaderParser.Parse(header.AsSpan(0, have), out ProxyHeader? parsed, out string? error))
            {
                case ProxyHeaderStatus.Invalid:
                    return ("PROXY protocol header refused: " + error, null);
                case ProxyHeaderStatus.Complete:
                    lock (gate) core.OnProxyHeader(parsed!.Source);
                    return (null, parsed.Destination);
            }
            if (have == header.Length) return ("PROXY protocol header refused: longer than the specification allows", null);
        }
    }

    /// <summary>The target learns who the client is before the client's first byte (HAProxy's send-proxy).</summary>
    public static async Task SendAsync(Socket target, ConnectionCore core, EndPoint? destination, CancellationToken token)
    {
        ProxyProtocolVersion version = core.Proxy.Options.SendProxyProtocol;
        if (version == ProxyProtocolVersion.None) return;
        byte[] header = ProxyHeaderWriter.Build(version, core.Client, destination);
        for (int sent = 0; sent < header.Length;)
            sent += await target.SendAsync(header.AsMemory(sent), SocketFlags.None, token).ConfigureAwait(false);
    }
}
