namespace ZeroCopyPS;

/// <summary>
/// What a proxy name may be. Get-, Stop-ZeroCopyProxy and Get-Job read -Name as a wildcard pattern, so a
/// name holding * ? [ ] (or the escape character `) could never be asked for by itself: 'Stop-ZeroCopyProxy
/// -Name *' would stop every proxy. White space at either end and invisible characters would make two
/// names look alike in every table. Inner spaces and any letters are fine.
/// </summary>
internal static class ProxyNameRule
{
    private const string PatternCharacters = "*?[]`";

    /// <summary>Why <paramref name="name"/> cannot name a proxy, or null when it can.</summary>
    public static string? Problem(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
            return "-Name is only white space: give the proxy a name you can type, such as 'web'.";
        int invisible = EndpointArgument.IndexOfInvisible(name);
        if (invisible >= 0)
            return $"-Name '{EndpointArgument.Show(name)}' contains {EndpointArgument.Describe(name[invisible])} at position {invisible + 1}: a name is one line of visible characters.";
        if (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
            return $"-Name '{name}' starts or ends with white space, which no table shows: write '{name.Trim()}'.";
        int pattern = name.IndexOfAny(PatternCharacters.ToCharArray());
        if (pattern >= 0)
            return $"-Name '{name}' contains '{name[pattern]}': Get-ZeroCopyProxy, Stop-ZeroCopyProxy and Get-Job read names as wildcard patterns, " +
                "so a name must have none of * ? [ ] `.";
        return null;
    }
}
