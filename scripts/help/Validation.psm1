# The documentation checks of scripts/Build-Help.ps1: each docs page against what Get-Command says,
# plus the list every problem goes into.
#
# Why a module of its own: the checks are the point of the help build (a stale or half-written page
# fails it), and keeping them apart from markdown reading (Markdown.psm1) and from writing the help
# (Maml.psm1) keeps each rule in one place. Every problem is collected rather than thrown, so one
# build run lists all of them at once; Build-Help.ps1 reads the list with Get-HelpProblem and fails
# when it is not empty.
#
# Maml.psm1 reports the about topic's problems into the same list: it imports this module, and
# PowerShell shares a loaded module rather than loading it twice, as long as this one is imported
# first (Build-Help.ps1 does).

# A module does not inherit the calling script's strict mode or preferences (its scopes hang off the
# global scope), so it sets the same ones Build-Help.ps1 runs under.
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

Import-Module (Join-Path $PSScriptRoot 'Markdown.psm1')
Import-Module (Join-Path $PSScriptRoot 'Syntax.psm1')

# -------------------------------------------------------------------------------- problems

$script:Problems = [System.Collections.Generic.List[string]]::new()
function Add-Problem([string] $File, [string] $Message) {
    $script:Problems.Add("${File}: $Message")
}

# Every problem so far, in the order found.
function Get-HelpProblem {
    $script:Problems.ToArray()
}

# Placeholder text left by platyPS (or by a person) that must never ship.
$PlaceholderPattern = '\{\{|\bTODO\b|\bFIXME\b|\bTBD\b'

# One problem per line of $Text that holds a placeholder.
function Add-PlaceholderProblem([string] $File, [string] $Text) {
    foreach ($m in [regex]::Matches($Text, "(?m)^.*(?:$PlaceholderPattern).*$")) {
        Add-Problem $File "placeholder text: '$($m.Value.Trim())'"
    }
}

# -------------------------------------------------------------------------------- module level

# The module's lists agree: the manifest exports only what the dll implements, something is
# exported at all, and every page in docs/cmdlets documents an exported cmdlet.
function Test-CmdletList($CmdletsToExport, $Exported, $Pages, [string] $ModuleName) {
    foreach ($listed in $CmdletsToExport) {
        if ($listed -notin $Exported) { Add-Problem "$ModuleName.psd1" "CmdletsToExport lists '$listed', which $ModuleName.dll does not implement" }
    }
    if (-not $Exported) { Add-Problem "$ModuleName.psd1" 'the module exports no cmdlets' }
    foreach ($page in $Pages) {
        if ($page.BaseName -notin $Exported) { Add-Problem "cmdlets/$($page.Name)" "documents '$($page.BaseName)', which the module does not export (stale page)" }
    }
}

# The module page (docs/<Module>.md) exists, has the module's 'Help Version', no placeholder, and
# links every cmdlet page.
function Test-ModulePage([string] $Path, [string] $ModuleName, $Version, $Exported) {
    if (-not (Test-Path -LiteralPath $Path)) { Add-Problem "$ModuleName.md" 'missing: the module page'; return }
    $text = Get-Content -Raw -LiteralPath $Path
    $front = (Read-MarkdownPage $Path).FrontMatter
    if ($front['Help Version'] -and $front['Help Version'] -ne $Version) {
        Add-Problem "$ModuleName.md" "front matter says 'Help Version: $($front['Help Version'])'; the module is $Version"
    }
    Add-PlaceholderProblem "$ModuleName.md" $text
    foreach ($name in $Exported) {
        if ($text -notmatch "\[$([regex]::Escape($name))\]\(cmdlets/$([regex]::Escape($name))\.md\)") { Add-Problem "$ModuleName.md" "does not link [$name](cmdlets/$name.md)" }
    }
}

# -------------------------------------------------------------------------------- cmdlet page

# Reads docs/cmdlets/<Cmdlet>.md into the model Maml.psm1 writes (synopsis, description, examples as
# transcripts, parameters with their Get-Command view, inputs, outputs, notes, links) and checks it
# against the cmdlet's metadata on the way.
function Read-CmdletPage([string] $Path, $Cmdlet, [string] $ExpectedHelpFile) {
    $file = 'cmdlets/' + [IO.Path]::GetFileName($Path)
    $page = Read-MarkdownPage $Path
    $raw = Get-Content -Raw -LiteralPath $Path -Encoding utf8
    Add-PlaceholderProblem $file $raw

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

Export-ModuleMember -Function Add-Problem, Get-HelpProblem, Add-PlaceholderProblem, Test-CmdletList, Test-ModulePage, Read-CmdletPage
