using System.Globalization;
using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>
/// Checks a timeout at binding time against zero and its upper bound (ValidateRange cannot take
/// TimeSpan bounds); with <see cref="AllowZero"/> false, zero is rejected too. The bounds come from
/// the engine's <c>ProxyOptionLimits</c>, so the cmdlet and the engine agree.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class ValidateTimeSpanAttribute : ValidateArgumentsAttribute
{
    public ValidateTimeSpanAttribute(double maximumSeconds) => MaximumSeconds = maximumSeconds;

    /// <summary>True where zero means "disabled".</summary>
    public bool AllowZero { get; set; }

    public double MaximumSeconds { get; }

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        object value = arguments is PSObject pso ? pso.BaseObject : arguments;
        if (value is not TimeSpan span) return;
        if (span < TimeSpan.Zero)
            throw new ValidationMetadataException($"The duration {span} is negative.");
        if (span == TimeSpan.Zero && !AllowZero)
            throw new ValidationMetadataException("The duration must be greater than zero.");
        if (span > TimeSpan.FromSeconds(MaximumSeconds))
            throw new ValidationMetadataException(
                $"The duration {span} is too long: at most {TimeSpan.FromSeconds(MaximumSeconds).ToString("c", CultureInfo.InvariantCulture)} " +
                $"({MaximumSeconds.ToString(CultureInfo.InvariantCulture)} seconds).");
    }
}
