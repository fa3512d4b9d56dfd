using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>
/// Rejects negative timeouts at binding time (ValidateRange cannot take TimeSpan bounds);
/// with <see cref="AllowZero"/> false, zero is rejected too.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class ValidateTimeSpanAttribute : ValidateArgumentsAttribute
{
    /// <summary>True where zero means "disabled".</summary>
    public bool AllowZero { get; set; }

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        object value = arguments is PSObject pso ? pso.BaseObject : arguments;
        if (value is not TimeSpan span) return;
        if (span < TimeSpan.Zero)
            throw new ValidationMetadataException($"The duration {span} is negative.");
        if (span == TimeSpan.Zero && !AllowZero)
            throw new ValidationMetadataException("The duration must be greater than zero.");
    }
}
