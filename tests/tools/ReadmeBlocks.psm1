<#
What tests/tools/Test-Readme.ps1 reads in README.md and how it runs each kind of block, as printed:

  ```sh          every line is a command, run with bash from the clone's root, one after the other;
  ```powershell  a script run in a child pwsh from the clone's root (with a home of its own when it
                 registers a repository), or, when its first line names a file of the repository
                 ("# tests/Pester/...: ..."), that file's exact text;
  ```text        a transcript: its "PS> " lines run in one child pwsh per section, and the tables' header
                 lines and the error lines it shows must be what PowerShell really prints.

A block right after <!-- readme-test: skip (reason) --> is not run (it takes long or changes the machine); the
reason is reported.
#>

Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot '../../scripts/ZeroCopyPS.Scripts.psm1')

function Get-ReadmeBlock {
    <# Every fenced block of the file: Language, Text, Section (the ## heading above it), Skip (the reason, or $null). #>
    param([Parameter(Mandatory)] [string] $Path)
    $section = ''
    $skip = $null
    $block = $null
    foreach ($line in [IO.File]::ReadAllLines($Path)) {
        if ($block) {
            if ($line -eq '```') {
                [pscustomobject]@{ Language = $block.Language; Text = ($block.Lines -join "`n"); Section = $section; Skip = $block.Skip }
                $block = $null
            }
            else { $block.Lines.Add($line) }
            continue
        }
        if ($line -match '^##\s+(.+)$') { $section = $Matches[1].Trim(); continue }
        if ($line -match '^<!--\s*readme-test:\s*skip\s*\((.+)\)\s*-->$') { $skip = $Matches[1]; continue }
        if ($line -match '^```(\w*)\s*$') {
            $block = @{ Language = $Matches[1]; Lines = [Collections.Generic.List[string]]::new(); Skip = $skip }
            $skip = $null
            continue
        }
        if ($line.Trim()) { $skip = $null }   # a skip mark applies to the very next block only
    }
}

function Invoke-ShellCommand {
    <# Runs one line with bash in -Directory; output to -LogPath; returns the exit code (124 after -TimeoutMinutes). #>
    param([Parameter(Mandatory)] [string] $Command, [Parameter(Mandatory)] [string] $Directory, [Parameter(Mandatory)] [string] $LogPath,
        [double] $TimeoutMinutes = 30)
    $info = [Diagnostics.ProcessStartInfo]::new('/bin/bash')
    $info.ArgumentList.Add('-c')
    $info.ArgumentList.Add("exec >$(ConvertTo-ShellWord $LogPath) 2>&1`n$Command")
    $info.WorkingDirectory = $Directory
    $info.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($info)
    try {
        if ($process.WaitForExit([int]($TimeoutMinutes * 60000))) { $process.WaitForExit(); return $process.ExitCode }
        $process.Kill($true)
        124
    }
    finally { $process.Dispose() }
}

function Get-IsolatedHome {
    <# Environment variables for a home of its own under -Path (PSResourceGet and PowerShellGet keep their repositories there). #>
    param([Parameter(Mandatory)] [string] $Path)
    foreach ($dir in '.config', '.local/share', '.cache') { $null = New-Item -ItemType Directory -Force -Path (Join-Path $Path $dir) }
    @{
        HOME = $Path; XDG_CONFIG_HOME = Join-Path $Path '.config'; XDG_DATA_HOME = Join-Path $Path '.local/share'
        XDG_CACHE_HOME = Join-Path $Path '.cache'; PSModulePath = $null; ZEROCOPYPS_MODULE_PATH = $null
    }
}

function ConvertTo-TranscriptScript {
    <# A script that runs -Lines as a console would, printing "PS> line" and then what the line wrote. #>
    param([Parameter(Mandatory)] [string[]] $Lines)
    $quoted = ($Lines | ForEach-Object { "'" + ($_ -replace "'", "''") + "'" }) -join ",`n    "
    @"
`$ErrorActionPreference = 'Continue'
`$PSStyle.OutputRendering = 'PlainText'
foreach (`$line in @(
    $quoted
)) {
    "PS> `$line"
    try { Invoke-Expression `$line 2>&1 | ForEach-Object { if (`$_ -is [Management.Automation.ErrorRecord]) { `$_ | Out-String -Width 120 } else { `$_ } } | Out-String -Width 120 }
    catch { `$_ | Out-String -Width 120 }
}
"@
}

function Get-TranscriptExpectation {
    <#
    The lines of a README transcript that must appear in the real one: table headers (a line of names over a
    line of dashes) and error lines (Cmdlet-Name: ...), white space folded. Values (ports, timings) may differ.
    #>
    param([Parameter(Mandatory)] [string] $Text)
    $lines = $Text -split "`n"
    for ($i = 0; $i -lt $lines.Count; $i++) {
        $next = if ($i + 1 -lt $lines.Count) { $lines[$i + 1] } else { '' }
        if ($next -match '^[\s-]+$' -and $next -match '-' -and $lines[$i].Trim()) { ($lines[$i].Trim() -replace '\s+', ' ') }
        elseif ($lines[$i] -match '^[A-Z][a-z]+-[A-Za-z]+: ') { ($lines[$i].Trim() -replace '\s+', ' ') }
    }
}

Export-ModuleMember -Function Get-ReadmeBlock, Invoke-ShellCommand, Get-IsolatedHome, ConvertTo-TranscriptScript, Get-TranscriptExpectation
