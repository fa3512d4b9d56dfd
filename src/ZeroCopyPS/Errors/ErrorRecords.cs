using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>
/// Builds the module's error records the one way they are all built: the exception, the id from
/// <see cref="ErrorIds"/>, a category, the target object, and details that name the parameter in the
/// message and say what to do about it (RecommendedAction, which PowerShell prints under the message).
/// </summary>
internal static class ErrorRecords
{
    public static ErrorRecord Create(Exception exception, string errorId, ErrorCategory category, object? target,
        string? message = null, string? recommendedAction = null)
    {
        var record = new ErrorRecord(exception, errorId, category, target);
        if (message is not null || recommendedAction is not null)
            record.ErrorDetails = new ErrorDetails(message ?? exception.Message) { RecommendedAction = recommendedAction };
        return record;
    }
}
