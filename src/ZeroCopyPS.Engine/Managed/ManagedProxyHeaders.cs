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
    /// Reads exactly the header, never a byte of the stream after it: peeks, and consumes only bytes that
    /// are header for certain (all of an incomplete header, or exactly a complete one's length). After an
    /// incomplete peek the socket is empty, so the next peek waits for new bytes. Returns why it was
    /// refused (null when accepted) and the destination the header names.
    /// </summary>
    public static async Task<(string? Refused, EndPoint? Destination)> ReadAsync(Socket client, ConnectionCore core, object gate, CancellationToken token)
    {
        byte[] header = new byte[ProxyHeaderParser.MaxHeaderBytes];
        int have = 0;
        while (true)
        {
            int peeked = await client.ReceiveAsync(header.AsMemory(have), SocketFlags.Peek, token).ConfigureAwait(false);
            if (peeked == 0) return ("the client closed before sending a whole PROXY protocol header", null);
            switch (ProxyHeaderParser.Parse(header.AsSpan(0, have + peeked), out ProxyHeader? parsed, out string? error))
            {
                case ProxyHeaderStatus.Invalid:
                    return ("PROXY protocol header refused: " + error, null);
                case ProxyHeaderStatus.Complete:
                    await ConsumeAsync(client, header, have, parsed!.Length, token).ConfigureAwait(false);
                    lock (gate) core.OnProxyHeader(parsed.Source);
                    return (null, parsed.Destination);
            }
            await ConsumeAsync(client, header, have, have + peeked, token).ConfigureAwait(false);
            have += peeked;
            if (have == header.Length) return ("PROXY protocol header refused: longer than the specification allows", null);
        }
    }

    // Reads bytes [from, to) of the header, which a peek has shown are there.
    private static async Task ConsumeAsync(Socket client, byte[] header, int from, int to, CancellationToken token)
    {
        while (from < to)
        {
            int n = await client.ReceiveAsync(header.AsMemory(from, to - from), SocketFlags.None, token).ConfigureAwait(false);
            if (n == 0) throw new SocketException((int)SocketError.ConnectionReset);
            from += n;
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
