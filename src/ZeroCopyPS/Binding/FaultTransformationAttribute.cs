using System.Collections;
using System.Globalization;
using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Lets Start-ZeroCopyProxy -Fault take faults the way a BeforeAll writes them: hashtables with the parameters of
/// Add-ZeroCopyFault as keys (@{ Type = 'Latency'; Delay = '200ms'; Direction = 'ToClient' }), [pscustomobject]s of
/// the same shape, or ProxyFault objects (Get-ZeroCopyFault's output). Values are read as Add-ZeroCopyFault reads
/// its parameters (times as seconds, TimeSpans or '200ms'; sizes as 1MB or '1MiB'). Each value becomes a
/// <see cref="FaultArgument"/>, a wrong one with its problem (an unknown key, a setting of another kind, a value out
/// of range), reported by the command with its own error id. Null, empty text and empty lists pass through for
/// ValidateNotNullOrEmpty to report.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class FaultTransformationAttribute : ListTransformationAttribute
{
    private static readonly string[] Keys = ["Type", "Direction", "Probability", "Name", .. FaultSettings.All];

    protected override IEnumerable<object> ConvertItem(object? item) => [Convert(item)];

    internal static FaultArgument Convert(object? item)
    {
        object value = (item is PSObject p && p.BaseObject is not PSCustomObject ? p.BaseObject : item)!;
        switch (value)
        {
            case FaultArgument argument:
                return argument;
            case ProxyFault fault:
                return Checked(fault, fault);
            case IDictionary dictionary:
                return FromPairs(dictionary.Cast<DictionaryEntry>().Select(e => (System.Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "", e.Value)), dictionary, "the hashtable");
            case PSObject { BaseObject: PSCustomObject } custom:
                return FromPairs(custom.Properties.Select(pr => (pr.Name, (object?)pr.Value)), custom, "the object");
            default:
                return FaultArgument.Invalid($"'{EndpointArgument.Show(System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")}' ({value.GetType().Name}) is not a fault.", value);
        }
    }

    private static FaultArgument FromPairs(IEnumerable<(string Key, object? Value)> pairs, object source, string shown)
    {
        var given = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, object? raw) in pairs)
        {
            string canonical = Keys.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase))
                ?? (string.Equals(key, "Kind", StringComparison.OrdinalIgnoreCase) ? "Type" : null)
                ?? "";
            if (canonical.Length == 0)
                return FaultArgument.Invalid($"the key '{EndpointArgument.Show(key)}' of {shown} is not one of {string.Join(", ", Keys)}.", source);
            given[canonical] = raw is PSObject w ? w.BaseObject : raw;
        }
        if (!given.TryGetValue("Type", out object? typeValue) || typeValue is null)
            return FaultArgument.Invalid($"{shown} has no Type (one of {string.Join(", ", Enum.GetNames<FaultKind>())}).", source);
        if (ToEnum<FaultKind>(typeValue) is not { } kind)
            return FaultArgument.Invalid($"the Type '{typeValue}' of {shown} is not one of {string.Join(", ", Enum.GetNames<FaultKind>())}.", source);

        FaultDirection direction = FaultDirection.Both;
        if (given.TryGetValue("Direction", out object? directionValue))
        {
            if (ToEnum<FaultDirection>(directionValue) is not { } parsedDirection)
                return FaultArgument.Invalid($"the Direction '{directionValue}' of {shown} is not one of {string.Join(", ", Enum.GetNames<FaultDirection>())}.", source);
            direction = parsedDirection;
        }

        double probability = 1.0;
        if (given.TryGetValue("Probability", out object? probabilityValue) && !TryProbability(probabilityValue, out probability))
            return FaultArgument.Invalid($"the Probability '{probabilityValue}' of {shown} is not a number from 0 to 1.", source);

        string name = "";
        if (given.TryGetValue("Name", out object? nameValue) && (nameValue is not string text || (name = text).Length == 0))
            return FaultArgument.Invalid($"the Name of {shown} is not a fault name (text of 1 to {ProxyOptionLimits.FaultNameLengthMaximum} printable characters).", source);

        var settings = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        foreach (string key in FaultSettings.All)
        {
            if (!given.TryGetValue(key, out object? setting)) continue;
            if (!FaultSettings.Belongs(key, kind)) return FaultArgument.NotForKind(key, kind, source);
            try
            {
                settings[key] = FaultSettings.Times.Contains(key)
                    ? new TimeSpanTransformationAttribute { AcceptsUnits = true }.Transform(null!, setting!)
                    : ByteSizeTransformationAttribute.ToBytes(setting);
            }
            catch (ArgumentTransformationMetadataException e)
            {
                return FaultArgument.Invalid($"the {key} of {shown}: {e.Message}", source);
            }
        }

        return Checked(FaultSettings.Create(kind, direction, probability, name, settings), source);
    }

    // ProxyFault.Validate now, so that a bad setting is InvalidFaultSetting naming it, not the engine's refusal at start.
    private static FaultArgument Checked(ProxyFault fault, object source)
    {
        try
        {
            (fault.Name.Length > 0 ? fault : fault with { Name = FaultSettings.DefaultName(fault.Kind, fault.Direction) }).Validate();
        }
        catch (ArgumentException e)
        {
            return FaultArgument.InvalidSetting(e, fault.Kind, source);
        }
        return new FaultArgument(fault);
    }

    private static T? ToEnum<T>(object? value) where T : struct, Enum => value switch
    {
        T typed => typed,
        // Names only: '3' or 3 would be a kind by number, which no one reading the script could check; 'A,B' would combine two.
        string text when !text.Trim().All(char.IsAsciiDigit) && !text.Contains(',') && Enum.TryParse(text.Trim(), ignoreCase: true, out T parsed) && Enum.IsDefined(parsed) => parsed,
        _ => null,
    };

    private static bool TryProbability(object? value, out double probability)
    {
        probability = double.NaN;
        switch (value)
        {
            case int or long or short or byte or double or float or decimal:
                probability = System.Convert.ToDouble(value, CultureInfo.InvariantCulture);
                break;
            case string text when double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed):
                probability = parsed;
                break;
        }
        return probability is >= 0 and <= 1;
    }
}
