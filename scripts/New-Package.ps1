#!/usr/bin/env pwsh
<#
.SYNOPSIS
Packs the staged module into out/packages/ZeroCopyPS.<version>.nupkg with Compress-PSResource.

.DESCRIPTION
The package is what Install-Module and Install-PSResource install from a folder (or any NuGet)
repository. The script:

1. Checks the staged folder: <Module>.psd1 passes Test-ModuleManifest, and the help built by
   scripts/Build-Help.ps1 is there (en-US/<Module>.dll-Help.xml and en-US/about_<Module>.help.txt):
   a package without help is refused.
2. Runs Compress-PSResource in a CHILD pwsh whose home (HOME, XDG_CONFIG_HOME, XDG_DATA_HOME,
   XDG_CACHE_HOME) is a temporary folder, with a temporary current folder. PSResourceGet writes its
   repository list (with the public gallery's address) under the home on first use, and under the
   CURRENT folder when the home's data folder does not exist; isolating both keeps the user's home
   and the repository free of such files. Publish-PSResource is not used: it can drop a
   NuGet.Config with a registry address into the current folder.
3. Moves the package to -OutputPath (replacing an older one of the same version), checks that it
   holds the manifest, the dlls and the help, and writes its full path to the pipeline.

Exit code 0 on success, 1 on failure (with the reason).

.PARAMETER ModulePath
The staged module folder (holding <Module>.psd1). Default: out/ZeroCopyPS.

.PARAMETER OutputPath
Where the .nupkg goes. Default: out/packages.

.EXAMPLE
dotnet pwsh -NoProfile -File scripts/New-Package.ps1
#>
[CmdletBinding()]
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/ZeroCopyPS'),
    [string] $OutputPath = (Join-Path $PSScriptRoot '../out/packages'),
    [string] $ModuleName = 'ZeroCopyPS'
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path $PSScriptRoot 'ZeroCopyPS.Scripts.psm1')   # Invoke-ChildPwsh

$temp = Join-Path ([IO.Path]::GetTempPath()) ('zcps-pack-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$exit = 0
try {
    if (-not (Test-Path -LiteralPath $ModulePath)) { throw "No staged module at '$ModulePath': run build.ps1 -Task Build first." }
    $ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
    $manifestPath = Join-Path $ModulePath "$ModuleName.psd1"
    if (-not (Test-Path -LiteralPath $manifestPath)) { throw "No $ModuleName.psd1 in '$ModulePath'." }
    $manifest = Test-ModuleManifest -Path $manifestPath -ErrorAction Stop
    $version = $manifest.Version.ToString()
    foreach ($required in "en-US/$ModuleName.dll-Help.xml", "en-US/about_$ModuleName.help.txt") {
        if (-not (Test-Path -LiteralPath (Join-Path $ModulePath $required))) {
            throw "The staged module has no ${required}: build the help first (scripts/Build-Help.ps1 -ModulePath '$ModulePath'). A package without help is not made."
        }
    }

    # Isolated home and current folder for the child (see .DESCRIPTION, step 2).
    $home_ = Join-Path $temp 'home'
    $work = Join-Path $temp 'work'
    $packed = Join-Path $temp 'out'
    foreach ($dir in (Join-Path $home_ '.config'), (Join-Path $home_ '.local/share'), (Join-Path $home_ '.cache'), $work, $packed) {
        $null = New-Item -ItemType Directory -Force -Path $dir
    }
    $script = Join-Path $temp 'pack.ps1'
    Set-Content -LiteralPath $script -Encoding utf8NoBOM -Value @'
param([string] $Source, [string] $Destination)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module Microsoft.PowerShell.PSResourceGet -ErrorAction Stop
Compress-PSResource -Path $Source -DestinationPath $Destination
'@

    $isolated = @{
        HOME            = $home_
        XDG_CONFIG_HOME = Join-Path $home_ '.config'
        XDG_DATA_HOME   = Join-Path $home_ '.local/share'
        XDG_CACHE_HOME  = Join-Path $home_ '.cache'
    }
    $rc = Invoke-ChildPwsh @('-File', $script, '-Source', $ModulePath, '-Destination', $packed) -Environment $isolated -WorkingDirectory $work
    if ($rc -ne 0) { throw "Compress-PSResource failed (exit $rc)." }

    $nupkg = Join-Path $packed "$ModuleName.$version.nupkg"
    if (-not (Test-Path -LiteralPath $nupkg)) {
        $found = (Get-ChildItem -LiteralPath $packed -Name) -join ', '
        throw "Compress-PSResource did not write $ModuleName.$version.nupkg (found: $found)."
    }

    # The package must hold what Install-Module needs and what users read.
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [IO.Compression.ZipFile]::OpenRead($nupkg)
    try {
        $entries = @($zip.Entries | ForEach-Object { $_.FullName -replace '\\', '/' })
    }
    finally { $zip.Dispose() }
    $expected = "$ModuleName.nuspec", "$ModuleName.psd1", "$ModuleName.dll", "$ModuleName.format.ps1xml", "$ModuleName.types.ps1xml",
        "en-US/$ModuleName.dll-Help.xml", "en-US/about_$ModuleName.help.txt"
    $expected += @($manifest.RequiredAssemblies | ForEach-Object { [IO.Path]::GetFileName($_) })
    $missing = @($expected | Where-Object { $_ -notin $entries })
    if ($missing) { throw "The package lacks: $($missing -join ', ')." }

    $null = New-Item -ItemType Directory -Force -Path $OutputPath
    $OutputPath = (Resolve-Path -LiteralPath $OutputPath).ProviderPath
    $target = Join-Path $OutputPath "$ModuleName.$version.nupkg"
    Move-Item -LiteralPath $nupkg -Destination $target -Force
    Write-Host "  Package: $target ($([math]::Round((Get-Item -LiteralPath $target).Length / 1KB)) KiB, $($entries.Count) entries)"
    $target
}
catch {
    Write-Host "New-Package: FAILED: $($_.Exception.Message)"
    $exit = 1
}
finally {
    if (Test-Path -LiteralPath $temp) { Remove-Item -LiteralPath $temp -Recurse -Force -ErrorAction SilentlyContinue }
}
exit $exit
