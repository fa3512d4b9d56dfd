using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Lets an endpoint parameter take what can sensibly stand for an endpoint: text, a port number, an
/// IPEndPoint, DnsEndPoint or UnixDomainSocketEndPoint. Values that only look like an argument by
/// accident (a hashtable, a script block, $true, 80.5, a date, an address without a port) are refused
/// here, naming their type, instead of reaching the parser as "System.Collections.Hashtable". Any other
/// object is left to the binder: a job piped to Measure-SocketCopy must reach its ListenEndPoints
/// (bound by property name), which a refusal here would prevent. A parameter that takes one endpoint
/// refuses a list of several. Null and empty lists pass through, for ValidateNotNullOrEmpty to report.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class EndpointTransformationAttribute : ArgumentTransformationAttribute
{
    private const string Forms = "8080, host:port, [IPv6]:port, unix:/path or unix:@name";

    /// <summary>True for string[] parameters (-Listen, -Endpoint).</summary>
    public bool AcceptsList { get; set; }

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is null or string) return value!;
        if (value is IEnumerable list and not IDictionary)
        {
            var items = list.Cast<object?>().Select(item => item is PSObject p ? p.BaseObject : item).ToList();
            if (!AcceptsList && items.Count > 1)
                throw new ArgumentTransformationMetadataException($"This parameter takes one endpoint, not a list of {items.Count}.");
            var texts = items.Select(item => item is null ? null : ToText(item)).ToList();
            if (texts.Zip(items).Any(pair => pair.First is null && pair.Second is not null)) return inputData;
            // An empty list and a list holding null are "no endpoint": ValidateNotNullOrEmpty says so.
            if (AcceptsList) return texts.ToArray();
            return texts.Count == 1 && texts[0] is { } only ? only : "";
        }
        string? text = ToText(value);
        if (text is null) return inputData;
        return AcceptsList ? new[] { text } : text;
    }

    /// <summary>The endpoint text of an endpoint-like value; throws for a value that cannot be one; null for "not mine to judge". Also used for -Target (TargetTransformationAttribute).</summary>
    internal static string? ToText(object value) => value switch
    {
        string text => text,
        int or long or short or byte or sbyte or uint or ulong or ushort => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        IPEndPoint or UnixDomainSocketEndPoint => ProxyEndpoint.Format((EndPoint)value),
        DnsEndPoint dns => $"{dns.Host}:{dns.Port.ToString(CultureInfo.InvariantCulture)}",
        IPAddress address => throw new ArgumentTransformationMetadataException(
            $"The address {address} has no port: write {ProxyEndpoint.Format(new IPEndPoint(address, 8080))} with the port you mean."),
        bool or double or float or decimal or char or IDictionary or ScriptBlock or DateTime or DateTimeOffset or TimeSpan =>
            throw new ArgumentTransformationMetadataException($"An endpoint is text such as {Forms}, not a {value.GetType().Name}."),
        _ => null,
    };
}
