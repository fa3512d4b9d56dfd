#
# Module manifest for ZeroCopyPS.
#
# build.ps1 copies this file into the staged module folder (out/ZeroCopyPS/) next to
# ZeroCopyPS.dll, ZeroCopyPS.Engine.dll, ZeroCopyPS.format.ps1xml and ZeroCopyPS.types.ps1xml, and
# checks there that ModuleVersion matches <Version> in Directory.Build.props.
#
@{
    RootModule             = 'ZeroCopyPS.dll'
    ModuleVersion          = '0.1.0'
    CompatiblePSEditions   = @('Core')
    GUID                   = '1a3ed8f7-2a21-4c6c-af40-11456550c70e'
    Author                 = 'ZeroCopyPS contributors'
    CompanyName            = 'ZeroCopyPS contributors'
    Copyright              = '(c) ZeroCopyPS contributors. MIT License.'
    Description            = 'A TCP proxy for PowerShell 7 that runs as a background job and copies bytes between sockets with splice(2) on Linux (a buffered managed copy elsewhere), with per-connection statistics.'
    PowerShellVersion      = '7.4'

    # The engine is a plain .NET assembly beside the cmdlet assembly; loading it up front
    # keeps type resolution independent of where the module was imported from.
    RequiredAssemblies     = @('ZeroCopyPS.Engine.dll')
    FormatsToProcess       = @('ZeroCopyPS.format.ps1xml')
    # DurationMs, ConnectTimeMs and StartTimeIso on each ConnectionStatistics, for ConvertTo-Json and Export-Csv.
    TypesToProcess         = @('ZeroCopyPS.types.ps1xml')

    # Get-Help -Online opens each cmdlet's page in docs/cmdlets; Update-Help looks here for updatable help.
    HelpInfoURI            = 'https://github.com/zerocopyps/ZeroCopyPS/tree/main/docs'

    # Explicit lists: wildcards make module auto-loading slower and export surprises.
    CmdletsToExport        = @(
        'Start-ZeroCopyProxy'
        'Get-ZeroCopyProxy'
        'Stop-ZeroCopyProxy'
        'Set-ZeroCopyProxy'
        'Get-ZeroCopyConnection'
        'Stop-ZeroCopyConnection'
        'Measure-SocketCopy'
        'Add-ZeroCopyFault'
        'Get-ZeroCopyFault'
        'Remove-ZeroCopyFault'
    )
    FunctionsToExport      = @()
    AliasesToExport        = @()
    VariablesToExport      = @()

    PrivateData            = @{
        PSData = @{
            Tags         = @('proxy', 'tcp', 'splice', 'zero-copy', 'networking', 'socket', 'Linux', 'PSEdition_Core')
            LicenseUri   = 'https://github.com/zerocopyps/ZeroCopyPS/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/zerocopyps/ZeroCopyPS'
            ReleaseNotes = @'
0.1.0 - first preview.
- Start-ZeroCopyProxy / Get-ZeroCopyProxy / Stop-ZeroCopyProxy: a TCP proxy that runs as a
  PowerShell job (Get-Job, Receive-Job, Stop-Job, Remove-Job work on it).
- Linux copies with splice(2) through a pipe; other platforms use a buffered managed copy.
- Measure-SocketCopy compares the copy paths on loopback.
- Several targets per proxy (weights, backups, -Balance, health checks), -AllowClient/-DenyClient,
  PROXY protocol; Set-ZeroCopyProxy changes targets while running; Get-/Stop-ZeroCopyConnection see
  and close single connections.
'@
        }
    }
}
