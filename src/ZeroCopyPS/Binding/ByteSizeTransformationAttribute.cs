using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>
/// Lets a size parameter take what a PowerShell user types: a number (<c>65536</c>, <c>64KB</c> and
/// <c>1MB</c> are already numbers to the parser), a string with PowerShell's multipliers (<c>'16MB'</c>)
/// or with binary-unit suffixes (<c>'64KiB'</c>, <c>'1MiB'</c>, <c>'1GiB'</c>), and, where the parameter
/// takes several (<see cref="AcceptsList"/>), lists of them. KB/MB/GB mean 1024-based sizes, as they do
/// everywhere in PowerShell. Fractions of a byte, empty text and lists for a single size are refused;
/// the range is checked afterwards by ValidateByteSize, which names the bad value.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class ByteSizeTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>True for long[] parameters; a single-size parameter refuses a list of several.</summary>
    public bool AcceptsList { get; set; }

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is string or null) return value is null ? inputData : ToBytes(value);
        if (value is IEnumerable list and not IDictionary)
        {
            var sizes = new List<long>();
            foreach (object? item in list) sizes.Add(ToBytes(item is PSObject p ? p.BaseObject : item));
            if (AcceptsList) return sizes.ToArray();
            return sizes.Count switch
            {
                1 => sizes[0],
                0 => throw new ArgumentTransformationMetadataException("An empty list is not a size. Use a number of bytes such as 65536, 64KB or '1MiB'."),
                _ => throw new ArgumentTransformationMetadataException($"This parameter takes one size, not a list of {sizes.Count}."),
            };
        }
        return ToBytes(value);
    }

    internal static long ToBytes(object? value)
    {
        switch (value)
        {
            case null:
                throw new ArgumentTransformationMetadataException("A size cannot be null.");
            case long or int or short or byte or sbyte or uint or ushort:
                return Convert.ToInt64(value, CultureInfo.InvariantCulture);
            case ulong u:
                return u > long.MaxValue ? throw TooLarge(u.ToString(CultureInfo.InvariantCulture)) : (long)u;
            case double or float when !double.IsFinite(Convert.ToDouble(value, CultureInfo.InvariantCulture)):
                throw new ArgumentTransformationMetadataException($"{Convert.ToString(value, CultureInfo.InvariantCulture)} is not a number of bytes.");
            case double or float when Math.Abs(Convert.ToDouble(value, CultureInfo.InvariantCulture)) >= (double)decimal.MaxValue:
                throw TooLarge(Convert.ToString(value, CultureInfo.InvariantCulture)!);
            case double or float or decimal:
                decimal d = Convert.ToDecimal(value, CultureInfo.InvariantCulture);
                if (d != decimal.Truncate(d))
                    throw new ArgumentTransformationMetadataException($"{d.ToString(CultureInfo.InvariantCulture)} is not a whole number of bytes.");
                return d > long.MaxValue || d < long.MinValue ? throw TooLarge(d.ToString(CultureInfo.InvariantCulture)) : (long)d;
            case string text:
                return Parse(text);
            default:
                throw new ArgumentTransformationMetadataException(
                    $"A size must be a number of bytes such as 65536, 64KB or '1MiB', not a {value.GetType().Name}.");
        }
    }

    private static long Parse(string text)
    {
        // PowerShell would read '' and ' ' as 0: an empty size is a missing value, not zero bytes.
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentTransformationMetadataException("An empty string is not a size. Use a number of bytes such as 65536, 64KB, 1MB, or '64KiB', '1MiB'.");
        string trimmed = text.Trim();
        (string suffix, long factor)[] binary = { ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30) };
        foreach ((string suffix, long factor) in binary)
        {
            if (!trimmed.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) continue;
            string number = trimmed[..^suffix.Length].Trim();
            if (!decimal.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal amount))
                throw NotASize(text);
            return amount > long.MaxValue / factor || amount < long.MinValue / factor ? throw new ArgumentTransformationMetadataException($"'{trimmed}' is too large for a size.") : ToBytes(amount * factor);
        }
        // PowerShell's own conversion knows 64KB, 1MB, 0x10000 and 1e6.
        try
        {
            return ToBytes(LanguagePrimitives.ConvertTo(trimmed, typeof(decimal), CultureInfo.InvariantCulture));
        }
        catch (PSInvalidCastException)
        {
            throw NotASize(text);
        }
    }

    private static ArgumentTransformationMetadataException NotASize(string text) =>
        new($"'{text}' is not a size. Use a number of bytes such as 65536, 64KB, 1MB, or '64KiB', '1MiB'.");

    private static ArgumentTransformationMetadataException TooLarge(string text) =>
        new($"{text} bytes is too large.");
}
