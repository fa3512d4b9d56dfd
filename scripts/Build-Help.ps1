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

# The same PowerShell as this one: under `dotnet pwsh` that is `dotnet <PSHOME>/pwsh.dll`.
function Invoke-ChildPwsh([string[]] $Arguments) {
    $self = [Environment]::ProcessPath
    $pwshDll = Join-Path $PSHOME 'pwsh.dll'
    $prefix = @()
    if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet' -and (Test-Path -LiteralPath $pwshDll)) { $prefix = @($pwshDll) }
    & $self @prefix -NoProfile -NonInteractive @Arguments | Out-Host
    $LASTEXITCODE
}

$script:Problems = [System.Collections.Generic.List[string]]::new()
function Add-Problem([string] $File, [string] $Message) {
    $script:Problems.Add("${File}: $Message")
}

# Placeholder text left by platyPS (or by a person) that must never ship.
$PlaceholderPattern = '\{\{|\bTODO\b|\bFIXME\b|\bTBD\b'

# -------------------------------------------------------------------------------- markdown

# A markdown body split into blocks: Paragraph (lines joined), ListItem, Code (lang + raw text),
# Table (raw lines). Enough of CommonMark for platyPS pages, and nothing clever.
function ConvertTo-Blocks([string[]] $Lines) {
    $blocks = [System.Collections.Generic.List[object]]::new()
    $i = 0
    $paragraph = $null
    $flush = {
        if ($null -ne $paragraph) {
            $blocks.Add([pscustomobject]@{ Kind = $paragraph.Kind; Text = ($paragraph.Lines -join ' ').Trim(); Lang = $null })
            $paragraph = $null   # dot-sourced: this is the function's variable
        }
    }
    while ($i -lt $Lines.Count) {
        $line = $Lines[$i]
        if ($line -match '^\s*(```+|~~~+)\s*([\w+-]*)\s*$') {
            . $flush
            $fence = $Matches[1]; $lang = $Matches[2].ToLowerInvariant()
            $code = [System.Collections.Generic.List[string]]::new()
            $i++
            while ($i -lt $Lines.Count -and $Lines[$i].Trim() -ne $fence) { $code.Add($Lines[$i]); $i++ }
            $blocks.Add([pscustomobject]@{ Kind = 'Code'; Text = ($code -join "`n"); Lang = $lang })
            $i++
            continue
        }
        if ($line -match '^\s*$') { . $flush; $i++; continue }
        if ($line -match '^\s*\|') {
            . $flush
            $table = [System.Collections.Generic.List[string]]::new()
            while ($i -lt $Lines.Count -and $Lines[$i] -match '^\s*\|') { $table.Add($Lines[$i].TrimEnd()); $i++ }
            $blocks.Add([pscustomobject]@{ Kind = 'Table'; Text = ($table -join "`n"); Lang = $null })
            continue
        }
        if ($line -match '^\s{0,3}([-*+]|\d+[.)])\s+(.*)$') {
            . $flush
            $paragraph = @{ Kind = 'ListItem'; Lines = [System.Collections.Generic.List[string]]::new() }
            $paragraph.Lines.Add($line.Trim())
            $i++
            continue
        }
        if ($null -eq $paragraph) { $paragraph = @{ Kind = 'Paragraph'; Lines = [System.Collections.Generic.List[string]]::new() } }
        $paragraph.Lines.Add($line.Trim())
        $i++
    }
    . $flush
    , $blocks.ToArray()
}

# Inline markdown to help text: links keep their text (and an absolute address), emphasis marks go.
function ConvertTo-PlainText([string] $Text) {
    $Text = [regex]::Replace($Text, '\[([^\]]+)\]\(([^)]*)\)', {
            param($m)
            $uri = $m.Groups[2].Value
            if ($uri -match '^[a-z]+://') { "$($m.Groups[1].Value) ($uri)" } else { $m.Groups[1].Value }
        })
    $Text = $Text -replace '\*\*([^*]+)\*\*', '$1' -replace '(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])', '$1'
    $Text = $Text -replace '\\([\\`*_{}\[\]()#+\-.!<>|])', '$1'
    $Text
}

# Help paragraphs (strings) from blocks: code and tables keep their lines.
function ConvertTo-Paragraphs($Blocks) {
    foreach ($b in $Blocks) {
        switch ($b.Kind) {
            'Code' { ($b.Text -split "`n" | ForEach-Object { '    ' + $_ }) -join "`n" }
            'Table' { $b.Text }
            default { ConvertTo-PlainText $b.Text }
        }
    }
}

# Splits a page into front matter, title and H2 sections (each with H3 subsections). Headings inside
# fenced code are not headings.
function Read-MarkdownPage([string] $Path) {
    $lines = @(Get-Content -LiteralPath $Path -Encoding utf8)
    $page = [ordered]@{ FrontMatter = @{}; Title = $null; Sections = [ordered]@{}; Path = $Path }
    $i = 0
    if ($lines.Count -gt 0 -and $lines[0].Trim() -eq '---') {
        $i = 1
        while ($i -lt $lines.Count -and $lines[$i].Trim() -ne '---') {
            if ($lines[$i] -match '^([^:]+):\s*(.*)$') { $page.FrontMatter[$Matches[1].Trim()] = $Matches[2].Trim() }
            $i++
        }
        $i++
    }
    $section = $null; $sub = $null; $inFence = $null
    for (; $i -lt $lines.Count; $i++) {
        $line = $lines[$i]
        if ($inFence) {
            if ($line.Trim() -eq $inFence) { $inFence = $null }
        }
        elseif ($line -match '^\s*(```+|~~~+)') { $inFence = $Matches[1] }
        elseif ($line -match '^#\s+(.+?)\s*$') { $page.Title = $Matches[1]; continue }
        elseif ($line -match '^##\s+(.+?)\s*$') {
            $section = [ordered]@{ Name = $Matches[1].ToUpperInvariant(); Lines = [System.Collections.Generic.List[string]]::new(); Subsections = [System.Collections.Generic.List[object]]::new() }
            $page.Sections[$section.Name] = $section
            $sub = $null
            continue
        }
        elseif ($line -match '^###\s+(.+?)\s*$' -and $section) {
            $sub = [ordered]@{ Name = $Matches[1]; Lines = [System.Collections.Generic.List[string]]::new() }
            $section.Subsections.Add($sub)
            continue
        }
        if ($sub) { $sub.Lines.Add($line) } elseif ($section) { $section.Lines.Add($line) }
    }
    $page
}

function Get-Section($Page, [string] $Name) {
    if ($Page.Sections.Contains($Name)) { return $Page.Sections[$Name] }
    $null
}

# The yaml block of a parameter as a dictionary ("Default value" -> "None", ...).
function Read-ParameterYaml([string] $Text) {
    $map = [ordered]@{}
    foreach ($line in $Text -split "`n") {
        if ($line -match '^\s*([^:#]+?)\s*:\s*(.*?)\s*$') { $map[$Matches[1]] = $Matches[2] }
    }
    $map
}

# -------------------------------------------------------------------------------- expected text

function Get-PipelineText($p) {
    $kinds = @()
    if ($p.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($p.ValueFromPipeline) { $kinds += 'ByValue' }
    if ($kinds) { "True ($($kinds -join ', '))" } else { 'False' }
}

function Get-PositionText($p) { if ($p.Position -ge 0) { [string]$p.Position } else { 'Named' } }

# Get-Command's display order: positional by position, then mandatory named, then the rest, in
# declaration order; -WhatIf and -Confirm last.
function Get-DisplayOrder($Set, $Cmdlet) {
    $declared = @($Cmdlet.ParameterOrder)
    $rank = { param($p) [array]::IndexOf($declared, $p.Name) }
    $all = @($Set.Parameters)
    $positional = @($all | Where-Object { $_.Position -ge 0 } | Sort-Object Position)
    $named = @($all | Where-Object { $_.Position -lt 0 -and $_.Name -notin 'WhatIf', 'Confirm' })
    $mandatory = @($named | Where-Object IsMandatory | Sort-Object { & $rank $_ })
    $optional = @($named | Where-Object { -not $_.IsMandatory } | Sort-Object { & $rank $_ })
    $risk = @('WhatIf', 'Confirm' | ForEach-Object { $n = $_; $all | Where-Object Name -EQ $n })
    @($positional) + $mandatory + $optional + $risk
}

function Get-SyntaxLine($Set, $Cmdlet) {
    $parts = foreach ($p in (Get-DisplayOrder $Set $Cmdlet)) {
        $name = if ($p.Position -ge 0) { "[-$($p.Name)]" } else { "-$($p.Name)" }
        $text = if ($p.IsSwitch) { "-$($p.Name)" } else { "$name <$($p.Type)>" }
        if ($p.IsMandatory) { $text } else { "[$text]" }
    }
    (@($Cmdlet.Name) + @($parts) + '[<CommonParameters>]') -join ' '
}

function Get-ExpectedSyntaxMarkdown($Cmdlet) {
    $out = foreach ($set in $Cmdlet.ParameterSets) {
        $heading = if ($set.Name -eq '__AllParameterSets') { '### __AllParameterSets' } elseif ($set.IsDefault) { "### $($set.Name) (Default)" } else { "### $($set.Name)" }
        $heading, '```', (Get-SyntaxLine $set $Cmdlet), '```', ''
    }
    ($out -join "`n").TrimEnd()
}

# The parameter's metadata over all its sets, as platyPS writes the yaml block.
function Get-ParameterView($Cmdlet, [string] $Name) {
    $entries = @(foreach ($set in $Cmdlet.ParameterSets) {
            foreach ($p in $set.Parameters) { if ($p.Name -eq $Name) { [pscustomobject]@{ Set = $set.Name; P = $p } } }
        })
    if (-not $entries) { return $null }
    $first = $entries[0].P
    $allSets = @($Cmdlet.ParameterSets).Count
    $setText = if ($entries.Count -eq $allSets -or ($entries.Count -eq 1 -and $entries[0].Set -eq '__AllParameterSets')) { '(All)' } else { (@($entries | ForEach-Object { $_.Set }) | Sort-Object) -join ', ' }   # not $entries.Set: arrays have a Set() method
    $required = @($entries | ForEach-Object { [bool]$_.P.IsMandatory } | Select-Object -Unique)
    $requiredText = if ($required.Count -gt 1) { ($entries | ForEach-Object { "$($_.Set): $($_.P.IsMandatory)" }) -join ', ' } else { [string]$required[0] }
    $positions = @($entries | ForEach-Object { Get-PositionText $_.P } | Select-Object -Unique)
    $pipelines = @($entries | ForEach-Object { Get-PipelineText $_.P } | Select-Object -Unique)
    [pscustomobject]@{
        Name        = $Name
        Type        = $first.Type
        IsSwitch    = $first.IsSwitch
        Sets        = $setText
        Aliases     = (@($first.Aliases) -join ', ')
        Required    = $requiredText
        RequiredAll = ($required.Count -eq 1 -and $required[0])
        Position    = ($positions -join ', ')
        PositionMaml = if ($positions.Count -eq 1 -and $positions[0] -ne 'Named') { $positions[0] } elseif ($positions | Where-Object { $_ -ne 'Named' }) { @($positions | Where-Object { $_ -ne 'Named' })[0] } else { 'named' }
        Pipeline    = ($pipelines -join ', ')
        Wildcard    = [string][bool]$first.Wildcard
        Accepted    = (@($first.AcceptedValues) -join ', ')
        Entries     = $entries
    }
}

function Get-ExpectedYaml($View, [string] $Default) {
    @(
        '```yaml'
        "Type: $($View.Type)"
        "Parameter Sets: $($View.Sets)"
        "Aliases: $($View.Aliases)".TrimEnd()
        if ($View.Accepted) { "Accepted values: $($View.Accepted)" }
        ''
        "Required: $($View.Required)"
        "Position: $($View.Position)"
        "Default value: $Default"
        "Accept pipeline input: $($View.Pipeline)"
        "Accept wildcard characters: $($View.Wildcard)"
        '```'
    ) -join "`n"
}

# -------------------------------------------------------------------------------- page model

function Read-CmdletPage([string] $Path, $Cmdlet, [string] $ExpectedHelpFile) {
    $file = 'cmdlets/' + [IO.Path]::GetFileName($Path)
    $page = Read-MarkdownPage $Path
    $raw = Get-Content -Raw -LiteralPath $Path -Encoding utf8
    foreach ($m in [regex]::Matches($raw, "(?m)^.*(?:$PlaceholderPattern).*$")) {
        Add-Problem $file "placeholder text: '$($m.Value.Trim())'"
    }

    if ($page.FrontMatter['schema'] -ne '2.0.0') { Add-Problem $file "front matter must say 'schema: 2.0.0' (platyPS layout)" }
    if ($page.FrontMatter['external help file'] -ne $ExpectedHelpFile) {
        Add-Problem $file "front matter 'external help file' is '$($page.FrontMatter['external help file'])'; the cmdlet reads '$ExpectedHelpFile'"
    }
    if ($page.Title -ne $Cmdlet.Name) { Add-Problem $file "title (# heading) is '$($page.Title)', expected '$($Cmdlet.Name)'" }
    foreach ($required in 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS') {
        if (-not $page.Sections.Contains($required)) { Add-Problem $file "has no '## $required' section" }
    }

    $model = [ordered]@{ Name = $Cmdlet.Name; File = $file; Synopsis = ''; Description = @(); Examples = @(); Parameters = [ordered]@{}; Inputs = @(); Outputs = @(); Notes = @(); Links = @() }

    # SYNOPSIS / DESCRIPTION / NOTES
    $s = Get-Section $page 'SYNOPSIS'
    if ($s) { $model.Synopsis = ((ConvertTo-Paragraphs (ConvertTo-Blocks $s.Lines)) -join ' ').Trim() }
    if (-not $model.Synopsis) { Add-Problem $file 'SYNOPSIS is empty' }
    $s = Get-Section $page 'DESCRIPTION'
    if ($s) { $model.Description = @(ConvertTo-Paragraphs (ConvertTo-Blocks (@($s.Lines) + @($s.Subsections | ForEach-Object { ''; $_.Name; $_.Lines })))) }
    if (-not ($model.Description -join '').Trim()) { Add-Problem $file 'DESCRIPTION is empty' }
    $s = Get-Section $page 'NOTES'
    if ($s) { $model.Notes = @(ConvertTo-Paragraphs (ConvertTo-Blocks (@($s.Lines) + @($s.Subsections | ForEach-Object { ''; $_.Name; $_.Lines })))) }

    # SYNTAX must be what Get-Command says.
    $s = Get-Section $page 'SYNTAX'
    if ($s) {
        $actual = ((@($s.Subsections | ForEach-Object { "### $($_.Name)"; $_.Lines }) -join "`n") -replace '(?m)^\s+$', '' -replace "\n{2,}", "`n`n").Trim()
        $expected = Get-ExpectedSyntaxMarkdown $Cmdlet
        $norm = { param($t) ($t -replace '\s+', ' ').Trim() }
        if ((& $norm $actual) -ne (& $norm $expected)) {
            Add-Problem $file "SYNTAX is stale. Get-Command says:`n$expected`n"
        }
    }

    # EXAMPLES
    $s = Get-Section $page 'EXAMPLES'
    if ($s) {
        $withOutput = 0
        foreach ($ex in $s.Subsections) {
            $blocks = ConvertTo-Blocks $ex.Lines
            $code = @($blocks | Where-Object { $_.Kind -eq 'Code' })
            $commands = @($code | Where-Object { $_.Lang -in 'powershell', 'pwsh', 'ps1', 'ps' })
            $outputs = @($code | Where-Object { $_.Lang -notin 'powershell', 'pwsh', 'ps1', 'ps' })
            if (-not $commands -or -not ($commands.Text -join '').Trim()) { Add-Problem $file "example '$($ex.Name)' has no ```powershell code block" }
            if ($outputs) { $withOutput++ }
            $remarks = @(ConvertTo-Paragraphs @($blocks | Where-Object { $_.Kind -ne 'Code' }))
            if (-not ($remarks -join '').Trim()) { Add-Problem $file "example '$($ex.Name)' has no explanation" }
            # Transcript for Get-Help: commands behind a prompt, output as printed.
            $transcript = foreach ($b in $code) {
                if ($b.Lang -in 'powershell', 'pwsh', 'ps1', 'ps') {
                    $previous = ''
                    foreach ($l in ($b.Text -split "`n")) {
                        $continued = $previous -match '(\||`|\{|\(|,|=)\s*$' -or $l -match '^\s'
                        if ($continued -and $previous) { ">> $l" } else { "PS> $l" }
                        $previous = $l
                    }
                }
                else { $b.Text.TrimEnd() }
                ''
            }
            $model.Examples += [pscustomobject]@{ Title = $ex.Name; Code = (($transcript -join "`n").TrimEnd()); Remarks = $remarks }
        }
        if ($model.Examples.Count -lt 2) { Add-Problem $file "has $($model.Examples.Count) example(s); at least two are required" }
        elseif ($withOutput -eq 0) { Add-Problem $file 'no example shows its output (add an ```output block after the command)' }
    }

    # PARAMETERS
    $s = Get-Section $page 'PARAMETERS'
    $documented = @()
    if ($s) {
        foreach ($ps in $s.Subsections) {
            if ($ps.Name -eq 'CommonParameters') { continue }
            if ($ps.Name -notmatch '^-(\w+)$') { Add-Problem $file "PARAMETERS has a subsection '$($ps.Name)' that is not '-Name' or 'CommonParameters'"; continue }
            $name = $Matches[1]
            $documented += $name
            $blocks = ConvertTo-Blocks $ps.Lines
            $yamlBlocks = @($blocks | Where-Object { $_.Kind -eq 'Code' -and $_.Lang -eq 'yaml' })
            $description = @(ConvertTo-Paragraphs @($blocks | Where-Object { -not ($_.Kind -eq 'Code' -and $_.Lang -eq 'yaml') }))
            $view = Get-ParameterView $Cmdlet $name
            if (-not $view) {
                Add-Problem $file "documents -$name, which $($Cmdlet.Name) no longer has (stale)"
                continue
            }
            if (-not ($description -join '').Trim()) { Add-Problem $file "-$name has an empty description" }
            $default = $null
            if ($yamlBlocks.Count -ne 1) { Add-Problem $file "-$name needs exactly one ```yaml metadata block (has $($yamlBlocks.Count))" }
            else {
                $yaml = Read-ParameterYaml $yamlBlocks[0].Text
                $default = $yaml['Default value']
                if ([string]::IsNullOrWhiteSpace($default)) { Add-Problem $file "-$name has no 'Default value' in its yaml block" }
                $expect = [ordered]@{
                    'Type' = $view.Type; 'Parameter Sets' = $view.Sets; 'Aliases' = $view.Aliases; 'Required' = $view.Required
                    'Position' = $view.Position; 'Accept pipeline input' = $view.Pipeline; 'Accept wildcard characters' = $view.Wildcard
                }
                if ($view.Accepted -or $yaml.Contains('Accepted values')) { $expect['Accepted values'] = $view.Accepted }
                $diffs = foreach ($k in $expect.Keys) {
                    $have = if ($yaml.Contains($k)) { [string]$yaml[$k] } else { '<missing>' }
                    if ($have -ne [string]$expect[$k]) { "$k is '$have', Get-Command says '$($expect[$k])'" }
                }
                if ($diffs) {
                    Add-Problem $file ("-$name metadata is stale: " + ($diffs -join '; ') + ". Expected block:`n" + (Get-ExpectedYaml $view ($(if ($default) { $default } else { 'None' }))) + "`n")
                }
            }
            $model.Parameters[$name] = [pscustomobject]@{ View = $view; Description = $description; Default = $default }
        }
    }
    $actualNames = @($Cmdlet.ParameterSets | ForEach-Object { $_.Parameters } | ForEach-Object Name | Select-Object -Unique)
    foreach ($n in $actualNames) {
        if ($n -notin $documented) {
            $view = Get-ParameterView $Cmdlet $n
            Add-Problem $file "parameter -$n is not documented. Add under ## PARAMETERS:`n### -$n`n<description>`n`n$(Get-ExpectedYaml $view '<default>')`n"
        }
    }
    $dupes = @($documented | Group-Object | Where-Object Count -GT 1)
    foreach ($d in $dupes) { Add-Problem $file "-$($d.Name) is documented $($d.Count) times" }

    # INPUTS / OUTPUTS
    foreach ($kind in 'INPUTS', 'OUTPUTS') {
        $s = Get-Section $page $kind
        if (-not $s) { continue }
        $items = foreach ($t in $s.Subsections) {
            [pscustomobject]@{ Type = $t.Name.Trim(); Description = @(ConvertTo-Paragraphs (ConvertTo-Blocks $t.Lines)) }
        }
        $items = @($items)
        if (-not $items) { Add-Problem $file "$kind lists no type (use '### None' when there is none)" }
        foreach ($it in $items) {
            if ($it.Type -ne 'None' -and -not ($it.Description -join '').Trim()) { Add-Problem $file "$kind type '$($it.Type)' has no description" }
        }
        if ($kind -eq 'INPUTS') { $model.Inputs = $items } else { $model.Outputs = $items }
    }
    $outputNames = @($model.Outputs | ForEach-Object Type)
    foreach ($t in $Cmdlet.OutputTypes) {
        if ($t -notin $outputNames) { Add-Problem $file "OUTPUTS does not name [OutputType] '$t'" }
    }
    $byValue = @($Cmdlet.ParameterSets | ForEach-Object { $_.Parameters } | Where-Object ValueFromPipeline | ForEach-Object ElementTypeFullName | Select-Object -Unique)
    $pipelineAny = @($Cmdlet.ParameterSets | ForEach-Object { $_.Parameters } | Where-Object { $_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName })
    $inputNames = @($model.Inputs | ForEach-Object Type)
    foreach ($t in $byValue) {
        if ($t -notin $inputNames -and "$t[]" -notin $inputNames) { Add-Problem $file "INPUTS does not name '$t', which binds from the pipeline ByValue" }
    }
    if (-not $pipelineAny -and $inputNames -and ($inputNames -ne @('None'))) { Add-Problem $file "INPUTS should be 'None': no parameter takes pipeline input" }

    # RELATED LINKS
    $s = Get-Section $page 'RELATED LINKS'
    if ($s) {
        foreach ($m in [regex]::Matches(($s.Lines -join "`n"), '\[([^\]]+)\]\(([^)]*)\)')) {
            $uri = $m.Groups[2].Value
            $model.Links += [pscustomobject]@{ Text = $m.Groups[1].Value; Uri = $(if ($uri -match '^[a-z]+://') { $uri } else { '' }) }
        }
    }
    if ($page.FrontMatter['online version'] -match '^[a-z]+://') {
        $model.Links = @([pscustomobject]@{ Text = 'Online Version:'; Uri = $page.FrontMatter['online version'] }) + $model.Links
    }
    [pscustomobject]$model
}

# -------------------------------------------------------------------------------- MAML

$NsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$NsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$NsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'

function Write-Paras([System.Xml.XmlWriter] $W, [string] $Wrapper, [string] $Ns, [string[]] $Paragraphs) {
    $W.WriteStartElement($Wrapper.Split(':')[0], $Wrapper.Split(':')[1], $Ns)
    $any = $false
    foreach ($p in $Paragraphs) {
        if ($null -eq $p) { continue }
        $W.WriteElementString('maml', 'para', $NsMaml, $p); $any = $true
    }
    if (-not $any) { $W.WriteElementString('maml', 'para', $NsMaml, '') }
    $W.WriteEndElement()
}

function Write-MamlParameter([System.Xml.XmlWriter] $W, $Doc, $View, [bool] $Required, [string] $Position, [string] $Pipeline) {
    $W.WriteStartElement('command', 'parameter', $NsCommand)
    $W.WriteAttributeString('required', $Required.ToString().ToLowerInvariant())
    $W.WriteAttributeString('variableLength', 'true')
    $W.WriteAttributeString('globbing', $View.Wildcard.ToLowerInvariant())
    $W.WriteAttributeString('pipelineInput', $Pipeline)
    $W.WriteAttributeString('position', $Position)
    $W.WriteAttributeString('aliases', $(if ($View.Aliases) { $View.Aliases } else { 'none' }))
    $W.WriteElementString('maml', 'name', $NsMaml, $View.Name)
    Write-Paras $W 'maml:description' $NsMaml $Doc.Description
    if ($View.Accepted) {
        # Get-Help shows these in the syntax: [-CopyMode {Auto | Splice | Buffered}]
        $W.WriteStartElement('command', 'parameterValueGroup', $NsCommand)
        foreach ($value in ($View.Accepted -split ', ')) {
            $W.WriteStartElement('command', 'parameterValue', $NsCommand)
            $W.WriteAttributeString('required', 'false')
            $W.WriteAttributeString('command', 'variableLength', $NsCommand, 'false')
            $W.WriteString($value)
            $W.WriteEndElement()
        }
        $W.WriteEndElement()
    }
    if (-not $View.IsSwitch) {
        $W.WriteStartElement('command', 'parameterValue', $NsCommand)
        $W.WriteAttributeString('required', 'true')
        $W.WriteAttributeString('variableLength', 'false')
        $W.WriteString($View.Type)
        $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $NsDev)
    $W.WriteElementString('maml', 'name', $NsMaml, $View.Type)
    $W.WriteElementString('maml', 'uri', $NsMaml, '')
    $W.WriteEndElement()
    $W.WriteElementString('dev', 'defaultValue', $NsDev, $(if ($Doc.Default) { $Doc.Default } else { 'None' }))
    $W.WriteEndElement()
}

function Write-Maml([string] $Path, $Models, $Metadata) {
    $settings = [System.Xml.XmlWriterSettings]::new()
    $settings.Indent = $true
    $settings.Encoding = [System.Text.UTF8Encoding]::new($false)
    $settings.NewLineChars = "`n"
    $w = [System.Xml.XmlWriter]::Create($Path, $settings)
    try {
        $w.WriteStartDocument()
        $w.WriteStartElement('helpItems', 'http://msh')
        $w.WriteAttributeString('schema', 'maml')
        foreach ($model in $Models) {
            $cmdlet = $Metadata.Cmdlets | Where-Object Name -EQ $model.Name
            $w.WriteStartElement('command', 'command', $NsCommand)
            $w.WriteAttributeString('xmlns', 'maml', $null, $NsMaml)
            $w.WriteAttributeString('xmlns', 'command', $null, $NsCommand)
            $w.WriteAttributeString('xmlns', 'dev', $null, $NsDev)

            $w.WriteStartElement('command', 'details', $NsCommand)
            $w.WriteElementString('command', 'name', $NsCommand, $cmdlet.Name)
            $w.WriteElementString('command', 'verb', $NsCommand, $cmdlet.Verb)
            $w.WriteElementString('command', 'noun', $NsCommand, $cmdlet.Noun)
            Write-Paras $w 'maml:description' $NsMaml @($model.Synopsis)
            $w.WriteEndElement()

            Write-Paras $w 'maml:description' $NsMaml $model.Description

            # Syntax: one item per parameter set, in Get-Command's display order, with that set's metadata.
            $w.WriteStartElement('command', 'syntax', $NsCommand)
            foreach ($set in $cmdlet.ParameterSets) {
                $w.WriteStartElement('command', 'syntaxItem', $NsCommand)
                $w.WriteElementString('maml', 'name', $NsMaml, $cmdlet.Name)
                foreach ($p in (Get-DisplayOrder $set $cmdlet)) {
                    $doc = $model.Parameters[$p.Name]
                    Write-MamlParameter $w $doc $doc.View ([bool]$p.IsMandatory) $(if ($p.Position -ge 0) { [string]$p.Position } else { 'named' }) (Get-PipelineText $p)
                }
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteStartElement('command', 'parameters', $NsCommand)
            foreach ($name in $model.Parameters.Keys) {
                $doc = $model.Parameters[$name]
                Write-MamlParameter $w $doc $doc.View ([bool]$doc.View.RequiredAll) $doc.View.PositionMaml $doc.View.Pipeline
            }
            $w.WriteEndElement()

            foreach ($kind in @(@('inputTypes', 'inputType', $model.Inputs), @('returnValues', 'returnValue', $model.Outputs))) {
                $w.WriteStartElement('command', $kind[0], $NsCommand)
                foreach ($item in $kind[2]) {
                    $w.WriteStartElement('command', $kind[1], $NsCommand)
                    $w.WriteStartElement('dev', 'type', $NsDev)
                    $w.WriteElementString('maml', 'name', $NsMaml, $item.Type)
                    $w.WriteEndElement()
                    Write-Paras $w 'maml:description' $NsMaml $item.Description
                    $w.WriteEndElement()
                }
                $w.WriteEndElement()
            }

            $w.WriteStartElement('maml', 'alertSet', $NsMaml)
            $w.WriteStartElement('maml', 'alert', $NsMaml)
            foreach ($p in $model.Notes) { $w.WriteElementString('maml', 'para', $NsMaml, $p) }
            $w.WriteEndElement()
            $w.WriteEndElement()

            $w.WriteStartElement('command', 'examples', $NsCommand)
            foreach ($ex in $model.Examples) {
                $w.WriteStartElement('command', 'example', $NsCommand)
                $w.WriteElementString('maml', 'title', $NsMaml, "-------------------------- $($ex.Title) --------------------------")
                $w.WriteElementString('dev', 'code', $NsDev, $ex.Code)
                # The trailing empty paragraph gives the blank line Get-Help needs before the next title.
                Write-Paras $w 'dev:remarks' $NsDev (@($ex.Remarks) + '')
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteStartElement('command', 'relatedLinks', $NsCommand)
            foreach ($link in $model.Links) {
                $w.WriteStartElement('maml', 'navigationLink', $NsMaml)
                $w.WriteElementString('maml', 'linkText', $NsMaml, $link.Text)
                $w.WriteElementString('maml', 'uri', $NsMaml, $link.Uri)
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteEndElement() # command:command
        }
        $w.WriteEndElement()
        $w.WriteEndDocument()
    }
    finally {
        $w.Dispose()
    }
}

# -------------------------------------------------------------------------------- about topic

# about_<Module>.md -> about_<Module>.help.txt: "# about_X" becomes TOPIC, "## HEADING" a heading
# at column 0, "### Sub" an indented sub-heading; text is indented by 4, code by 8; the lines keep
# the wrapping they have in the markdown (keep them under 80 columns there).
function ConvertTo-AboutText([string] $Path, [string] $Topic) {
    $file = 'about/' + [IO.Path]::GetFileName($Path)
    $raw = Get-Content -Raw -LiteralPath $Path -Encoding utf8
    foreach ($m in [regex]::Matches($raw, "(?m)^.*(?:$PlaceholderPattern).*$")) { Add-Problem $file "placeholder text: '$($m.Value.Trim())'" }
    $lines = $raw -split "\r?\n"
    $out = [System.Collections.Generic.List[string]]::new()
    $inFence = $false
    $sawTitle = $false; $sawShort = $false; $sawLong = $false
    foreach ($line in $lines) {
        if ($line -match '^\s*```') { $inFence = -not $inFence; continue }
        if ($inFence) { $out.Add($(if ($line) { '        ' + $line } else { '' })); continue }
        if ($line -match '^#\s+(.+)$') {
            if ($Matches[1].Trim() -ne $Topic) { Add-Problem $file "title is '$($Matches[1].Trim())', expected '$Topic'" }
            $out.Add('TOPIC'); $out.Add("    $Topic"); $sawTitle = $true; continue
        }
        if ($line -match '^##\s+(.+)$') {
            $h = $Matches[1].Trim().ToUpperInvariant()
            if ($h -eq 'SHORT DESCRIPTION') { $sawShort = $true }
            if ($h -eq 'LONG DESCRIPTION') { $sawLong = $true }
            if ($out.Count -and $out[$out.Count - 1] -ne '') { $out.Add('') }
            $out.Add($h); continue
        }
        if ($line -match '^###\s+(.+)$') { $out.Add('  ' + $Matches[1].Trim().ToUpperInvariant()); continue }
        if ($line -match '^\s*$') { $out.Add(''); continue }
        $text = $line -replace '`([^`]+)`', '$1'
        $text = ConvertTo-PlainText $text
        $out.Add('    ' + $text)
    }
    if (-not $sawTitle) { Add-Problem $file "has no '# $Topic' title" }
    if (-not $sawShort -or -not $sawLong) { Add-Problem $file "needs '## SHORT DESCRIPTION' and '## LONG DESCRIPTION' sections" }
    $text = ($out -join "`n") -replace "\n{3,}", "`n`n"
    $text.TrimEnd() + "`n"
}

# ================================================================================ main

$exit = 0
$temp = Join-Path ([IO.Path]::GetTempPath()) ("zcps-help-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
try {
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
    foreach ($listed in $metadata.CmdletsToExport) {
        if ($listed -notin $exported) { Add-Problem "$ModuleName.psd1" "CmdletsToExport lists '$listed', which $ModuleName.dll does not implement" }
    }
    if (-not $exported) { Add-Problem "$ModuleName.psd1" 'the module exports no cmdlets' }

    $cmdletDocs = Join-Path $DocsPath 'cmdlets'
    $pages = @(if (Test-Path -LiteralPath $cmdletDocs) { Get-ChildItem -LiteralPath $cmdletDocs -Filter '*.md' -File })
    foreach ($page in $pages) {
        if ($page.BaseName -notin $exported) { Add-Problem "cmdlets/$($page.Name)" "documents '$($page.BaseName)', which the module does not export (stale page)" }
    }

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

    # The module page links every cmdlet page.
    $modulePage = Join-Path $DocsPath "$ModuleName.md"
    if (-not (Test-Path -LiteralPath $modulePage)) { Add-Problem "$ModuleName.md" 'missing: the module page' }
    else {
        $text = Get-Content -Raw -LiteralPath $modulePage
        $front = (Read-MarkdownPage $modulePage).FrontMatter
        if ($front['Help Version'] -and $front['Help Version'] -ne $metadata.Version) {
            Add-Problem "$ModuleName.md" "front matter says 'Help Version: $($front['Help Version'])'; the module is $($metadata.Version)"
        }
        foreach ($m in [regex]::Matches($text, "(?m)^.*(?:$PlaceholderPattern).*$")) { Add-Problem "$ModuleName.md" "placeholder text: '$($m.Value.Trim())'" }
        foreach ($name in $exported) {
            if ($text -notmatch "\[$([regex]::Escape($name))\]\(cmdlets/$([regex]::Escape($name))\.md\)") { Add-Problem "$ModuleName.md" "does not link [$name](cmdlets/$name.md)" }
        }
    }

    $aboutSource = Join-Path $DocsPath "about/about_$ModuleName.md"
    $aboutText = $null
    if (-not (Test-Path -LiteralPath $aboutSource)) { Add-Problem "about/about_$ModuleName.md" 'missing: the about topic' }
    else { $aboutText = ConvertTo-AboutText $aboutSource "about_$ModuleName" }

    if ($script:Problems.Count) {
        Write-Host "  Help: $($script:Problems.Count) documentation problem(s) in $DocsPath :"
        foreach ($p in $script:Problems) { Write-Host "  - $p" }
        throw "help is incomplete or stale ($($script:Problems.Count) problem(s)); fix docs/ and build again"
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
}
exit $exit
