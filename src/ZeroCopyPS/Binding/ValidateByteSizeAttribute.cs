using System.Globalization;
using System.Management.Automation;
using ZeroCopyPS.Engine.Measurement;

namespace ZeroCopyPS;

/// <summary>
/// Checks each size against [Minimum, Maximum] bytes with a message in sizes a person reads
/// (ValidateRange would print raw numbers only). Runs after <see cref="ByteSizeTransformationAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class ValidateByteSizeAttribute : ValidateEnumeratedArgumentsAttribute
{
    public ValidateByteSizeAttribute(long minimum, long maximum)
    {
        Minimum = minimum;
        Maximum = maximum;
    }

    public long Minimum { get; }

    public long Maximum { get; }

    protected override void ValidateElement(object element)
    {
        object value = element is PSObject pso ? pso.BaseObject : element;
        if (value is not long size) size = Convert.ToInt64(value, CultureInfo.InvariantCulture);
        if (size < Minimum || size > Maximum)
        {
            // 4294967296 bytes is easier to judge as "(4 GiB)"; a size that is already plain stays plain.
            string plain = size == 1 ? "1 byte" : $"{size.ToString(CultureInfo.InvariantCulture)} bytes";
            string readable = ByteSizeText.Describe(size);
            string shown = readable == plain ? plain : $"{plain} ({readable})";
            throw new ValidationMetadataException($"The size {shown} is out of range: use {ByteSizeText.Describe(Minimum)} to {ByteSizeText.Describe(Maximum)}.");
        }
    }
}
