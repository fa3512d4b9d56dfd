# The output writers of scripts/Build-Help.ps1: the MAML file Get-Help reads
# (en-US/<Module>.dll-Help.xml) and the about topic's text (en-US/about_<Module>.help.txt).
#
# Why a module of its own: the MAML layout (element names, namespaces, the order Get-Help expects)
# is a format detail that has nothing to do with the checks; here it sits in one place. Syntax
# items are written in the display order of Syntax.psm1, the same one the SYNTAX check uses.
# The about topic is converted and checked in one pass (its checks go into Validation.psm1's
# problem list), because its rules are about its headings, which only the conversion walks.

# A module does not inherit the calling script's strict mode or preferences (its scopes hang off the
# global scope), so it sets the same ones Build-Help.ps1 runs under.
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

Import-Module (Join-Path $PSScriptRoot 'Markdown.psm1')
Import-Module (Join-Path $PSScriptRoot 'Syntax.psm1')
Import-Module (Join-Path $PSScriptRoot 'Validation.psm1')

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
    Add-PlaceholderProblem $file $raw
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

Export-ModuleMember -Function Write-Maml, ConvertTo-AboutText
