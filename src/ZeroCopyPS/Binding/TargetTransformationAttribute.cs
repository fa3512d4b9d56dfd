using System.Collections;
using System.Globalization;
using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Lets -Target take one or more targets in the forms a PowerShell user writes: endpoint text
/// ('db1:5432', or 'db1:5432,db2:5432' as one CSV field), a hashtable (@{ Endpoint = 'db1:5432'; Weight = 3 },
/// @{ Endpoint = 'db3:5432'; Backup = $true }) or any object with Endpoint and optional Weight and Backup
/// properties (a ProxyTarget, a row of Get-ZeroCopyProxy's Targets, a [pscustomobject]). Each becomes a
/// <see cref="TargetArgument"/>. Values that cannot stand for an endpoint at all ($true, 80.5, a date, an
/// address without a port) are refused here as for -Listen (EndpointTransformationAttribute); a dictionary or
/// object of the wrong shape becomes a TargetArgument with a problem, reported by the command as InvalidTarget.
/// Null, empty text and empty lists pass through for ValidateNotNullOrEmpty to report.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class TargetTransformationAttribute : ListTransformationAttribute
{
    private static readonly string[] Keys = { "Endpoint", "Weight", "Backup" };

    protected override IEnumerable<object> ConvertItem(object? item) => Convert(item);

    private static IEnumerable<TargetArgument> Convert(object? item)
    {
        object value = (item is PSObject p && p.BaseObject is not PSCustomObject ? p.BaseObject : item)!;
        switch (value)
        {
            case TargetArgument target:
                return new[] { target };
            case string text:
                return Split(text).Select(t => new TargetArgument(t, 1, false));
            case ProxyTarget proxyTarget:
                return new[] { new TargetArgument(proxyTarget.Endpoint.Text, proxyTarget.Weight, proxyTarget.Backup) };
            case IDictionary dictionary:
                return new[] { FromDictionary(dictionary) };
        }
        if (EndpointTransformationAttribute.ToText(value) is { } endpoint) return new[] { new TargetArgument(endpoint, 1, false) };
        return new[] { FromObject(item is PSObject wrapped ? wrapped : PSObject.AsPSObject(value)) };
    }

    // One CSV field may list several targets; a Unix path may contain commas, so it is never split.
    private static IEnumerable<string> Split(string text) =>
        text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase) || !text.Contains(',')
            ? new[] { text }
            : text.Split(',').Select(part => part.Trim(' '));

    private static TargetArgument FromDictionary(IDictionary dictionary)
    {
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in dictionary)
        {
            string key = System.Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "";
            if (!Keys.Contains(key, StringComparer.OrdinalIgnoreCase))
                return TargetArgument.Invalid($"the hashtable key '{EndpointArgument.Show(key)}' is not one of Endpoint, Weight, Backup.", dictionary);
            values[key] = entry.Value is PSObject p ? p.BaseObject : entry.Value;
        }
        return Build(values, dictionary, "the hashtable");
    }

    private static TargetArgument FromObject(PSObject value)
    {
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (string key in Keys)
            if (value.Properties[key] is { } property) values[key] = property.Value is PSObject p ? p.BaseObject : property.Value;
        string shown = value.BaseObject is PSCustomObject ? "the object" : $"the {value.BaseObject.GetType().Name}";
        return Build(values, value, shown);
    }

    private static TargetArgument Build(Dictionary<string, object?> values, object source, string shown)
    {
        object? endpointValue = values.GetValueOrDefault("Endpoint");
        string? endpoint = endpointValue switch
        {
            string text => text,
            ProxyEndpoint parsed => parsed.Text,
            null => null,
            _ => Safe(() => EndpointTransformationAttribute.ToText(endpointValue)),
        };
        if (string.IsNullOrEmpty(endpoint))
            return TargetArgument.Invalid($"{shown} has no Endpoint (text such as 'db1:5432'){(endpointValue is null ? "" : $", its Endpoint is a {endpointValue.GetType().Name}")}.", source);

        int weight = 1;
        if (values.TryGetValue("Weight", out object? weightValue) && weightValue is not null)
        {
            long? number = weightValue switch
            {
                int or long or short or byte or uint or ushort => System.Convert.ToInt64(weightValue, CultureInfo.InvariantCulture),
                string text when long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed) => parsed,
                _ => null,
            };
            if (number is null or < ProxyOptionLimits.TargetWeightMinimum or > ProxyOptionLimits.TargetWeightMaximum)
                return TargetArgument.Invalid($"the Weight of '{EndpointArgument.Show(endpoint)}' is '{weightValue}': a weight is a whole number from " +
                    $"{ProxyOptionLimits.TargetWeightMinimum} to {ProxyOptionLimits.TargetWeightMaximum}.", source);
            weight = (int)number.Value;
        }

        bool backup = false;
        if (values.TryGetValue("Backup", out object? backupValue) && backupValue is not null)
        {
            bool? flag = backupValue switch
            {
                bool b => b,
                SwitchParameter s => s.IsPresent,
                string text when bool.TryParse(text, out bool parsed) => parsed,
                _ => null,
            };
            if (flag is null)
                return TargetArgument.Invalid($"the Backup of '{EndpointArgument.Show(endpoint)}' is '{backupValue}': Backup is $true or $false.", source);
            backup = flag.Value;
        }
        return new TargetArgument(endpoint, weight, backup);
    }

    // Inside a hashtable a refused endpoint value ($true, a date) is the hashtable's problem, not the binder's.
    private static string? Safe(Func<string?> text)
    {
        try
        {
            return text();
        }
        catch (ArgumentTransformationMetadataException)
        {
            return null;
        }
    }
}
