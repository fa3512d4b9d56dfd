namespace ZeroCopyPS;

/// <summary>
/// Where Get-Help -Online goes: each cmdlet's page in the repository's docs (the same markdown the build turns
/// into the module's help), as the manifest's ProjectUri and each page's "online version" say.
/// </summary>
internal static class HelpUris
{
    public const string Docs = "https://github.com/zerocopyps/ZeroCopyPS/blob/main/docs/cmdlets/";
    public const string StartZeroCopyProxy = Docs + "Start-ZeroCopyProxy.md";
    public const string GetZeroCopyProxy = Docs + "Get-ZeroCopyProxy.md";
    public const string StopZeroCopyProxy = Docs + "Stop-ZeroCopyProxy.md";
    public const string SetZeroCopyProxy = Docs + "Set-ZeroCopyProxy.md";
    public const string GetZeroCopyConnection = Docs + "Get-ZeroCopyConnection.md";
    public const string StopZeroCopyConnection = Docs + "Stop-ZeroCopyConnection.md";
    public const string AddZeroCopyFault = Docs + "Add-ZeroCopyFault.md";
    public const string GetZeroCopyFault = Docs + "Get-ZeroCopyFault.md";
    public const string RemoveZeroCopyFault = Docs + "Remove-ZeroCopyFault.md";
    public const string MeasureSocketCopy = Docs + "Measure-SocketCopy.md";
}
