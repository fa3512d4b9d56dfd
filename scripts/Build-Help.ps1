#!/usr/bin/env pwsh
<#
.SYNOPSIS
Turns docs/cmdlets/*.md (platyPS schema 2.0.0 markdown) into MAML help in a staged module folder,
and copies the about topic next to it.

.DESCRIPTION
platyPS cannot be installed here, so this script does its job for this module:

1. Metadata. A CHILD pwsh imports the staged module (a loaded binary module locks its dll and can
   never be unloaded, so this session never loads it) and writes what Get-Command knows to a
   temporary JSON file: exported cmdlets, parameter sets (default set first), and per parameter and
   set: type, mandatory, position, pipeline input, aliases, wildcard support; plus [OutputType],
   SupportsShouldProcess and the MAML file name the cmdlets expect (CmdletInfo.HelpFile).
2. Prose. Each docs/cmdlets/<Cmdlet>.md is parsed: SYNOPSIS, SYNTAX, DESCRIPTION, EXAMPLES,
   PARAMETERS (description plus the ```yaml metadata block), INPUTS, OUTPUTS, NOTES, RELATED LINKS.
3. Checks. The build fails (exit 1, every problem listed) when:
   - an exported cmdlet has no page, or a page documents a cmdlet the module does not export;
   - the manifest's CmdletsToExport names a cmdlet the module does not have;
   - a parameter of Get-Command (common parameters aside; -WhatIf/-Confirm count) is not
     documented, or a documented parameter no longer exists (stale);
   - a parameter's yaml block disagrees with Get-Command (type, parameter sets, aliases, accepted
     values, required, position, pipeline input, wildcards) or has no "Default value";
   - the SYNTAX section differs from the syntax Get-Command implies (the expected text is printed);
   - placeholder text ('{{ ... }}', TODO, FIXME, TBD) or an empty synopsis, description,
     parameter description, example code, input or output section;
   - a page has fewer than two examples, or none of its examples shows output;
   - OUTPUTS does not name every [OutputType] type, or INPUTS does not name every type bound
     ByValue from the pipeline (or "None" when nothing is);
   - the module page (docs/<Module>.md) does not link every cmdlet page, or its 'Help Version'
     is not the module's version;
   - the about topic is missing or holds placeholders.
4. Output. en-US/<Module>.dll-Help.xml (syntax and parameter metadata from Get-Command, prose and
   defaults from the markdown) and en-US/about_<Module>.help.txt (from docs/about/about_<Module>.md).
5. Proof. A second child pwsh imports the staged module and checks that Get-Help now returns the
   documented synopsis for every cmdlet and finds the about topic.

The work is split by concern: this script holds the parameters, the two child modes and the order
of the steps; scripts/help/Markdown.psm1 reads the markdown, scripts/help/Syntax.psm1 turns
Get-Command metadata into the expected SYNTAX and yaml text, scripts/help/Validation.psm1 holds the
checks and the problem list, scripts/help/Maml.psm1 writes the MAML and the about topic's text.
Exit code: 0 on success, 1 on any documentation problem or failure.

.PARAMETER ModulePath
The staged module folder: the one holding <Module>.psd1 (for example out/ZeroCopyPS).

.PARAMETER DocsPath
The docs folder: cmdlets/*.md, <Module>.md and about/about_<Module>.md. Default: ../docs.

.PARAMETER ModuleName
The module's name (default ZeroCopyPS).

.PARAMETER MetadataPath
Internal: when given, the script runs in metadata mode (in the child pwsh): it imports the module
from -ModulePath and writes the Get-Command metadata as JSON to this file.

.PARAMETER VerifyPath
Internal: when given, the script runs in check mode (in the second child pwsh): it imports the
module and compares Get-Help with the expectations in this JSON file.

.EXAMPLE
dotnet pwsh -NoProfile -File scripts/Build-Help.ps1 -ModulePath out/ZeroCopyPS
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $ModulePath,

    [string] $DocsPath = (Join-Path $PSScriptRoot '../docs'),

    [string] $ModuleName = 'ZeroCopyPS',

    [string] $MetadataPath,

    [string] $VerifyPath
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

# ================================================================================ child: metadata

# ValidateSet values, else the names of an enum type (or of an enum array's element type).
function Get-AcceptedValues($Parameter) {
    $set = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($set) { return @($set.ValidValues) }
    $type = $Parameter.ParameterType
    if ($type.IsArray) { $type = $type.GetElementType() }
    if ($type.IsEnum) { return @([Enum]::GetNames($type)) }
    @()
}

# Runs in the child pwsh. Everything Get-Command knows that the help needs, as plain data.
function Export-CommandMetadata([string] $Path, [string] $Name, [string] $OutFile) {
    $manifestPath = Join-Path $Path "$Name.psd1"
    $module = Import-Module $manifestPath -PassThru -ErrorAction Stop
    $manifest = Import-PowerShellDataFile -LiteralPath $manifestPath
    $common = @([System.Management.Automation.PSCmdlet]::CommonParameters) + 'UseTransaction'

    $cmdlets = foreach ($command in ($module.ExportedCmdlets.Values | Sort-Object Name)) {
        $cmdletAttribute = $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) | Select-Object -First 1
        $sets = foreach ($set in ($command.ParameterSets | Sort-Object { -not $_.IsDefault })) {
            $parameters = foreach ($p in $set.Parameters) {
                if ($p.Name -in $common) { continue }
                [ordered]@{
                    Name                            = $p.Name
                    Type                            = $p.ParameterType.Name
                    TypeFullName                    = $p.ParameterType.FullName
                    ElementTypeFullName             = if ($p.ParameterType.IsArray) { $p.ParameterType.GetElementType().FullName } else { $p.ParameterType.FullName }
                    IsSwitch                        = $p.ParameterType -eq [System.Management.Automation.SwitchParameter]
                    IsMandatory                     = $p.IsMandatory
                    Position                        = $p.Position
                    ValueFromPipeline               = $p.ValueFromPipeline
                    ValueFromPipelineByPropertyName = $p.ValueFromPipelineByPropertyName
                    ValueFromRemainingArguments     = $p.ValueFromRemainingArguments
                    Aliases                         = @($p.Aliases)
                    Wildcard                        = [bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
                    AcceptedValues                  = @(Get-AcceptedValues $p)
                    IsDynamic                       = $p.IsDynamic
                }
            }
            [ordered]@{ Name = $set.Name; IsDefault = $set.IsDefault; Parameters = @($parameters) }
        }
        # Declaration order of the parameters (the order of CommandInfo.Parameters), common ones last.
        $declared = @($command.Parameters.Keys | Where-Object { $_ -notin $common })
        [ordered]@{
            Name                  = $command.Name
            Verb                  = $command.Verb
            Noun                  = $command.Noun
            HelpFile              = $command.HelpFile
            DefaultParameterSet   = $command.DefaultParameterSet
            SupportsShouldProcess = [bool]($cmdletAttribute -and $cmdletAttribute.SupportsShouldProcess)
            OutputTypes           = @($command.OutputType | ForEach-Object { $_.Name } | Select-Object -Unique)
            ParameterOrder        = $declared
            ParameterSets         = @($sets)
        }
    }
    $data = [ordered]@{
        Module          = $module.Name
        Version         = $module.Version.ToString()
        CmdletsToExport = @($manifest['CmdletsToExport'])
        Cmdlets         = @($cmdlets)
    }
    $data | ConvertTo-Json -Depth 8 | Set-Content -LiteralPath $OutFile -Encoding utf8NoBOM
}

# Runs in a second child pwsh, after the help was written: does Get-Help read it?
function Test-InstalledHelp([string] $Path, [string] $Name, [string] $ExpectedFile) {
    $expected = Get-Content -Raw -LiteralPath $ExpectedFile | ConvertFrom-Json
    $null = Import-Module (Join-Path $Path "$Name.psd1") -ErrorAction Stop
    $problems = [System.Collections.Generic.List[string]]::new()
    foreach ($entry in $expected.Cmdlets) {
        $help = Get-Help $entry.Name -Full
        $synopsis = ([string]$help.Synopsis).Trim()
        if ($synopsis -ne $entry.Synopsis) {
            $problems.Add("Get-Help $($entry.Name): synopsis is '$synopsis', expected '$($entry.Synopsis)' (the MAML was not picked up)")
        }
        $examples = @($help.examples.example).Count
        if ($examples -ne $entry.Examples) { $problems.Add("Get-Help $($entry.Name): $examples examples, expected $($entry.Examples)") }
    }
    $about = Get-Help "about_$Name" -ErrorAction SilentlyContinue
    if (-not $about -or -not ([string]$about).Contains("about_$Name")) { $problems.Add("Get-Help about_$Name does not find the about topic") }
    foreach ($p in $problems) { Write-Host "  help check: $p" }
    if ($problems.Count) { exit 1 }
    exit 0
}

if ($MetadataPath) {
    Export-CommandMetadata -Path $ModulePath -Name $ModuleName -OutFile $MetadataPath
    exit 0
}
if ($VerifyPath) {
    Test-InstalledHelp -Path $ModulePath -Name $ModuleName -ExpectedFile $VerifyPath
}

# ================================================================================ helpers

Import-Module (Join-Path $PSScriptRoot 'ZeroCopyPS.Scripts.psm1')   # Invoke-ChildPwsh

# ================================================================================ main

$exit = 0
$temp = Join-Path ([IO.Path]::GetTempPath()) ("zcps-help-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$helpModules = @()
try {
    # Loaded here, after the child modes above (they need none of it). Leaves first: Validation and
    # Maml import the ones they use, and a module already loaded is shared, not loaded again, so the
    # about topic's problems land in the same list as the rest. -Force: a second run in the same
    # session starts with an empty problem list.
    $helpModules = @(foreach ($name in 'Markdown', 'Syntax', 'Validation', 'Maml') {
            Import-Module (Join-Path $PSScriptRoot "help/$name.psm1") -Force -PassThru
        })

    $ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
    $DocsPath = (Resolve-Path -LiteralPath $DocsPath).ProviderPath
    if (-not (Test-Path -LiteralPath (Join-Path $ModulePath "$ModuleName.psd1"))) { throw "No $ModuleName.psd1 in '$ModulePath': stage the module first (build.ps1 -Task Build)." }
    $null = New-Item -ItemType Directory -Path $temp
    Write-Host "  Help: reading Get-Command metadata of $ModulePath (child pwsh)"
    $metaFile = Join-Path $temp 'metadata.json'
    $rc = Invoke-ChildPwsh @('-File', $PSCommandPath, '-ModulePath', $ModulePath, '-ModuleName', $ModuleName, '-MetadataPath', $metaFile)
    if ($rc -ne 0 -or -not (Test-Path -LiteralPath $metaFile)) { throw "The child pwsh that reads the module's metadata failed (exit $rc)." }
    $metadata = Get-Content -Raw -LiteralPath $metaFile | ConvertFrom-Json

    $exported = @($metadata.Cmdlets | ForEach-Object Name)
    $cmdletDocs = Join-Path $DocsPath 'cmdlets'
    $pages = @(if (Test-Path -LiteralPath $cmdletDocs) { Get-ChildItem -LiteralPath $cmdletDocs -Filter '*.md' -File })
    Test-CmdletList $metadata.CmdletsToExport $exported $pages $ModuleName

    $helpFile = "$ModuleName.dll-Help.xml"
    $models = foreach ($cmdlet in $metadata.Cmdlets) {
        if ($cmdlet.HelpFile -and $cmdlet.HelpFile -ne $helpFile) { $helpFile = $cmdlet.HelpFile }
        $path = Join-Path $cmdletDocs "$($cmdlet.Name).md"
        if (-not (Test-Path -LiteralPath $path)) {
            Add-Problem "cmdlets/$($cmdlet.Name).md" "missing: exported cmdlet $($cmdlet.Name) has no help page"
            continue
        }
        Read-CmdletPage $path $cmdlet $helpFile
    }
    $models = @($models)

    Test-ModulePage (Join-Path $DocsPath "$ModuleName.md") $ModuleName $metadata.Version $exported

    $aboutSource = Join-Path $DocsPath "about/about_$ModuleName.md"
    $aboutText = $null
    if (-not (Test-Path -LiteralPath $aboutSource)) { Add-Problem "about/about_$ModuleName.md" 'missing: the about topic' }
    else { $aboutText = ConvertTo-AboutText $aboutSource "about_$ModuleName" }

    $problems = @(Get-HelpProblem)
    if ($problems.Count) {
        Write-Host "  Help: $($problems.Count) documentation problem(s) in $DocsPath :"
        foreach ($p in $problems) { Write-Host "  - $p" }
        throw "help is incomplete or stale ($($problems.Count) problem(s)); fix docs/ and build again"
    }

    $culture = Join-Path $ModulePath 'en-US'
    $null = New-Item -ItemType Directory -Force -Path $culture
    $maml = Join-Path $culture $helpFile
    Write-Maml $maml $models $metadata
    [IO.File]::WriteAllText((Join-Path $culture "about_$ModuleName.help.txt"), $aboutText, [System.Text.UTF8Encoding]::new($false))
    $parameterCount = ($models | ForEach-Object { $_.Parameters.Count } | Measure-Object -Sum).Sum
    Write-Host "  Help: wrote en-US/$helpFile ($($models.Count) cmdlets, $parameterCount parameters, $(($models | ForEach-Object { $_.Examples.Count } | Measure-Object -Sum).Sum) examples) and en-US/about_$ModuleName.help.txt"

    # Proof that pwsh reads it.
    $expectFile = Join-Path $temp 'expected.json'
    @{ Cmdlets = @($models | ForEach-Object { @{ Name = $_.Name; Synopsis = $_.Synopsis; Examples = $_.Examples.Count } }) } |
        ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $expectFile -Encoding utf8NoBOM
    $rc = Invoke-ChildPwsh @('-File', $PSCommandPath, '-ModulePath', $ModulePath, '-ModuleName', $ModuleName, '-VerifyPath', $expectFile)
    if ($rc -ne 0) { throw "Get-Help in a fresh pwsh does not show the generated help (exit $rc)." }
    Write-Host '  Help: Get-Help shows it (checked in a child pwsh)'
}
catch {
    Write-Host "Build-Help: FAILED: $($_.Exception.Message)"
    $exit = 1
}
finally {
    if (Test-Path -LiteralPath $temp) { Remove-Item -LiteralPath $temp -Recurse -Force }
    # Leave an interactive session as it was: the helper modules go with the run.
    if ($helpModules) { Remove-Module -ModuleInfo $helpModules -Force -ErrorAction SilentlyContinue }
}
exit $exit
