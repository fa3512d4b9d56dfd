using System.Globalization;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// What Add-ZeroCopyFault and Start-ZeroCopyProxy -Fault share about a fault's settings (docs/ARCHITECTURE.md,
/// "Fault injection"): which setting parameters each kind takes, the default name, building the engine's
/// <see cref="ProxyFault"/> from the parameter values, and naming a bad engine property by its parameter.
/// The kind decides the settings, not a parameter set: Latency and SlowClose both take -Delay alone, so no
/// parameter set could tell them apart.
/// </summary>
internal static class FaultSettings
{
    public const string Delay = "Delay";
    public const string Jitter = "Jitter";
    public const string BytesPerSecond = "BytesPerSecond";
    public const string CloseAfter = "CloseAfter";
    public const string Bytes = "Bytes";
    public const string After = "After";
    public const string AverageSize = "AverageSize";
    public const string SizeVariation = "SizeVariation";

    private static readonly Dictionary<FaultKind, string[]> ByKind = new()
    {
        [FaultKind.Latency] = [Delay, Jitter],
        [FaultKind.Bandwidth] = [BytesPerSecond],
        [FaultKind.Stall] = [CloseAfter],
        [FaultKind.ResetAfter] = [Bytes, After],
        [FaultKind.LimitData] = [Bytes],
        [FaultKind.SlowClose] = [Delay],
        [FaultKind.Slice] = [AverageSize, SizeVariation, Delay],
    };

    /// <summary>Every setting parameter, in the order help lists them.</summary>
    public static readonly string[] All = [Delay, Jitter, BytesPerSecond, CloseAfter, Bytes, After, AverageSize, SizeVariation];

    /// <summary>The time settings (seconds, TimeSpans or '200ms'); the others are byte counts.</summary>
    public static readonly string[] Times = [Delay, Jitter, CloseAfter, After];

    public static IReadOnlyList<string> ParametersOf(FaultKind kind) => ByKind.TryGetValue(kind, out string[]? names) ? names : [];

    public static bool Belongs(string parameter, FaultKind kind) => ParametersOf(kind).Contains(parameter, StringComparer.OrdinalIgnoreCase);

    /// <summary>The kinds a setting belongs to, for the message that refuses it elsewhere.</summary>
    public static string KindsOf(string parameter) =>
        string.Join(", ", ByKind.Where(k => k.Value.Contains(parameter, StringComparer.OrdinalIgnoreCase)).Select(k => k.Key.ToString()));

    /// <summary>Toxiproxy's default name, "&lt;kind&gt;_&lt;direction&gt;" in lower case: latency_toclient.</summary>
    public static string DefaultName(FaultKind kind, FaultDirection direction) =>
        $"{kind}_{direction}".ToLowerInvariant();

    /// <summary><paramref name="wanted"/> when no fault of <paramref name="taken"/> has it, else wanted_2, wanted_3, ...</summary>
    public static string UniqueName(string wanted, IEnumerable<string> taken)
    {
        var names = new HashSet<string>(taken, StringComparer.OrdinalIgnoreCase);
        if (!names.Contains(wanted)) return wanted;
        for (int i = 2; ; i++)
        {
            string candidate = wanted + "_" + i.ToString(CultureInfo.InvariantCulture);
            if (!names.Contains(candidate)) return candidate;
        }
    }

    /// <summary>
    /// The fault with these settings (TimeSpans and Int64 byte counts by parameter name); not validated.
    /// Slice sizes beyond Int32 become Int32.MaxValue, which Validate refuses with the range.
    /// </summary>
    public static ProxyFault Create(FaultKind kind, FaultDirection direction, double probability, string name, IReadOnlyDictionary<string, object> settings)
    {
        TimeSpan Time(string key) => settings.TryGetValue(key, out object? v) ? (TimeSpan)v : TimeSpan.Zero;
        long Count(string key) => settings.TryGetValue(key, out object? v) ? (long)v : 0;
        int Size(string key) => (int)Math.Clamp(Count(key), int.MinValue, int.MaxValue);
        return new ProxyFault
        {
            Name = name, Kind = kind, Direction = direction, Probability = probability,
            Delay = Time(Delay), Jitter = Time(Jitter), CloseAfter = Time(CloseAfter), After = Time(After),
            BytesPerSecond = Count(BytesPerSecond), Bytes = Count(Bytes),
            AverageSizeBytes = Size(AverageSize), SizeVariationBytes = Size(SizeVariation),
        };
    }

    /// <summary>The parameter (or -Fault hashtable key) for a ProxyFault property that Validate named.</summary>
    public static string ParameterOf(string? property) => property switch
    {
        nameof(ProxyFault.AverageSizeBytes) => AverageSize,
        nameof(ProxyFault.SizeVariationBytes) => SizeVariation,
        nameof(ProxyFault.Kind) or null or "" => "Type",
        _ => property,
    };

    /// <summary>The engine's message without the " (Parameter 'X')" and "Actual value" lines .NET appends, with X's parameter name.</summary>
    public static string Message(ArgumentException error)
    {
        string text = error.Message;
        int cut = text.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (cut >= 0) text = text[..cut];
        if (error.ParamName is { } property && ParameterOf(property) is var parameter && parameter != property)
            text = text.Replace(property, parameter, StringComparison.Ordinal);
        return text;
    }

    /// <summary>"Delay 200 ms ± 20 ms", "10.0 MiB/s", "after 1.0 MiB": the settings of the fault's kind, for views and -WhatIf.</summary>
    public static string Describe(ProxyFault fault)
    {
        string Time(TimeSpan t) => DisplayFormat.Duration(t);
        string text = fault.Kind switch
        {
            FaultKind.Latency => $"Delay {Time(fault.Delay)}" + (fault.Jitter > TimeSpan.Zero ? $" ± {Time(fault.Jitter)}" : ""),
            FaultKind.Bandwidth => $"{DisplayFormat.Bytes(fault.BytesPerSecond)}/s",
            FaultKind.Stall => fault.CloseAfter > TimeSpan.Zero ? $"closed after {Time(fault.CloseAfter)}" : "for ever",
            FaultKind.ResetAfter => string.Join(" or ", new[]
                {
                    fault.Bytes > 0 ? $"after {DisplayFormat.Bytes(fault.Bytes)}" : null,
                    fault.After > TimeSpan.Zero ? $"after {Time(fault.After)}" : null,
                }.OfType<string>()) is { Length: > 0 } when ? when : "at once",
            FaultKind.LimitData => $"close after {DisplayFormat.Bytes(fault.Bytes)}",
            FaultKind.SlowClose => $"FIN held {Time(fault.Delay)}",
            FaultKind.Slice => $"{DisplayFormat.Bytes(fault.AverageSizeBytes)}" + (fault.SizeVariationBytes > 0 ? $" ± {DisplayFormat.Bytes(fault.SizeVariationBytes)}" : "") +
                (fault.Delay > TimeSpan.Zero ? $", {Time(fault.Delay)} apart" : ""),
            _ => "",
        };
        return text;
    }
}
