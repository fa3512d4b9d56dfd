using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// The engine reports a failed start in its own terms ("Cannot listen on '127.0.0.1:80': ...",
/// "PipeSizeBytes must be between ..."); the user typed parameters. This puts the parameter into the
/// message: -Listen for what went wrong with a listener, -Target for a target that is the proxy itself,
/// and for invalid options the Start-ZeroCopyProxy parameter that sets the option.
/// </summary>
internal static class StartFailureMessage
{
    public static string NameParameter(ProxyStartException error, ProxyOptions options) => error.Failure switch
    {
        ProxyStartFailure.InvalidOptions => ForOption(error),
        // Its Endpoint is the proxy's name, not something the user typed for -Engine.
        ProxyStartFailure.UnsupportedPlatform => error.Message.Contains("-Engine", StringComparison.Ordinal) ? error.Message : $"-Engine {options.Engine}: {error.Message}",
        ProxyStartFailure.TargetIsListener when error.Message.StartsWith("The target '", StringComparison.Ordinal) =>
            "-Target " + error.Message["The target ".Length..],
        ProxyStartFailure.TargetIsListener => Insert(error.Message, "Target", error.Endpoint),
        _ => Insert(error.Message, "Listen", error.Endpoint),
    };

    // "Cannot listen on 'x': ..." becomes "Cannot listen on -Listen 'x': ..."; a message that does not
    // quote the endpoint gets the parameter and the endpoint in front; one that names it already stays.
    private static string Insert(string message, string parameter, string endpoint)
    {
        if (message.Contains("-" + parameter + " ", StringComparison.Ordinal)) return message;
        string quoted = $"'{endpoint}'";
        int at = message.IndexOf(quoted, StringComparison.Ordinal);
        return at >= 0 ? message.Insert(at, $"-{parameter} ") : $"-{parameter} {quoted}: {message}";
    }

    private static string ForOption(ProxyStartException error)
    {
        string? option = (error.InnerException as ArgumentException)?.ParamName;
        string? parameter = option is null ? null : ProxyOptionBinding.ParameterFor(option);
        if (option is null || parameter is null) return error.Message;
        // ArgumentException appends " (Parameter 'X')" and "Actual value was N." on lines of their own.
        string reason = error.Message.Split('\n')[0].Replace($" (Parameter '{option}')", "", StringComparison.Ordinal).Trim();
        return reason.StartsWith(option + " ", StringComparison.Ordinal)
            ? $"-{parameter}{reason[option.Length..]}"
            : $"-{parameter}: {reason}";
    }
}
