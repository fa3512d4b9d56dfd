using System.Collections;
using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>
/// The list handling of a parameter that takes items in several shapes (-Target, -Fault): one item or a list of
/// them becomes an array of converted items. Null, empty text and empty lists pass through unchanged, for
/// ValidateNotNullOrEmpty to report.
/// </summary>
internal abstract class ListTransformationAttribute : ArgumentTransformationAttribute
{
    public sealed override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject pso && pso.BaseObject is not PSCustomObject ? pso.BaseObject : inputData;
        List<object?> items = value is IEnumerable list and not string and not IDictionary
            ? list.Cast<object?>().ToList()
            : new List<object?> { inputData };
        if (items.Count == 0 || items.Any(IsNothing)) return inputData;
        return items.SelectMany(ConvertItem).ToArray();
    }

    /// <summary>What one item stands for: one converted value, or several (a CSV field of targets).</summary>
    protected abstract IEnumerable<object> ConvertItem(object? item);

    private static bool IsNothing(object? item)
    {
        object? value = item is PSObject p ? p.BaseObject : item;
        return value is null || (value is string text && text.Length == 0);
    }
}
