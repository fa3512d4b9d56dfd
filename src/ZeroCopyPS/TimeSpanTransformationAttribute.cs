using System.Globalization;
using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>
/// Lets a timeout parameter take a plain number as seconds (<c>-IdleTimeout 30</c>), as well as a
/// TimeSpan or a TimeSpan string (<c>'00:05:00'</c>). Without it PowerShell would read 30 as 30 ticks.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class TimeSpanTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
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
                throw new ArgumentTransformationMetadataException(
                    $"'{text}' is neither a number of seconds nor a TimeSpan such as '00:05:00'.");
            default:
                // Let the binder try its own conversions and report the type mismatch.
                return inputData;
        }
    }

    private static TimeSpan FromSeconds(double seconds)
    {
        if (double.IsNaN(seconds) || double.IsInfinity(seconds) || Math.Abs(seconds) > TimeSpan.MaxValue.TotalSeconds)
            throw new ArgumentTransformationMetadataException($"{seconds} seconds is not a representable duration.");
        return TimeSpan.FromSeconds(seconds);
    }
}
