using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>
/// Lets a timeout parameter take a plain number as seconds (<c>-IdleTimeout 30</c>), as well as a
/// TimeSpan or a TimeSpan string (<c>'00:05:00'</c>). Without it PowerShell would read 30 as 30 ticks.
/// Everything else is refused here with a message about durations, rather than by the binder's
/// "Specified method is not supported" (a list) or "Cannot convert null" (null). With <see cref="AcceptsUnits"/>
/// (the fault settings, whose times are mostly milliseconds) text with a unit works too: '200ms', '1.5s', '2min', '1h'.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class TimeSpanTransformationAttribute : ArgumentTransformationAttribute
{
    private const string Forms = "a number of seconds (30, 0.5) or a TimeSpan such as '00:05:00'";
    private const string FormsWithUnits = "a number of seconds (30, 0.5), a TimeSpan such as '00:05:00', or a number with a unit ('200ms', '1.5s', '2min', '1h')";

    private static readonly (string Unit, double Seconds)[] Units = [("ms", 0.001), ("min", 60), ("s", 1), ("h", 3_600)];

    /// <summary>True where '200ms'-style text is taken (Add-ZeroCopyFault's times, -Fault hashtables).</summary>
    public bool AcceptsUnits { get; set; }

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is IList { Count: 1 } single) value = single[0] is PSObject p ? p.BaseObject : single[0];
        switch (value)
        {
            case TimeSpan:
                return value;
            case int or long or short or byte or sbyte or uint or ulong or ushort:
                return FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture));
            case double or float or decimal:
                return FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture));
            case string text:
                text = text.Trim();
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
                    return FromSeconds(seconds);
                if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan span))
                    return span;
                if (AcceptsUnits && WithUnit(text) is { } withUnit)
                    return withUnit;
                throw new ArgumentTransformationMetadataException($"'{text}' is not a duration: use {(AcceptsUnits ? FormsWithUnits : Forms)}.");
            case null:
                throw new ArgumentTransformationMetadataException($"A duration cannot be null: use {Forms}.");
            case IList { Count: 0 }:
                throw new ArgumentTransformationMetadataException($"An empty list is not a duration: use {Forms}.");
            case IList list:
                throw new ArgumentTransformationMetadataException($"This parameter takes one duration, not a list of {list.Count}.");
            default:
                throw new ArgumentTransformationMetadataException($"A duration is {Forms}, not a {value.GetType().Name}.");
        }
    }

    private static TimeSpan? WithUnit(string text)
    {
        foreach ((string unit, double seconds) in Units)
        {
            if (!text.EndsWith(unit, StringComparison.OrdinalIgnoreCase)) continue;
            string number = text[..^unit.Length].TrimEnd();
            // Digits only: '1e3ms' or '-5s' are not what anyone types for a fault's time, and '-' would slip past as a sign.
            if (number.Length == 0 || !number.All(c => char.IsAsciiDigit(c) || c == '.')) return null;
            return double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double amount) ? FromSeconds(amount * seconds) : null;
        }
        return null;
    }

    private static TimeSpan FromSeconds(double seconds)
    {
        if (double.IsNaN(seconds) || double.IsInfinity(seconds) || Math.Abs(seconds) > TimeSpan.MaxValue.TotalSeconds)
            throw new ArgumentTransformationMetadataException($"{seconds.ToString(CultureInfo.InvariantCulture)} seconds is not a representable duration.");
        return TimeSpan.FromSeconds(seconds);
    }
}
