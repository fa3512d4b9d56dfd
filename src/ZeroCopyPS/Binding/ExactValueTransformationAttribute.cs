using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>
/// Refuses, before PowerShell's own conversion, what it would quietly turn into another value: blank text ('' and
/// ' ' become 0 for a number, so -Probability '' would mean "never") and, for an enum, 'A,B' (the bitwise or of both
/// names: 'Bandwidth,Stall' is ResetAfter). Everything else goes on to the ordinary conversion.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class ExactValueTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is string text)
        {
            if (string.IsNullOrWhiteSpace(text))
                throw new ArgumentTransformationMetadataException("Blank text is not a value here; give one explicitly.");
            if (text.Contains(','))
                throw new ArgumentTransformationMetadataException($"'{text}' names several values; give one.");
        }
        return inputData;
    }
}
