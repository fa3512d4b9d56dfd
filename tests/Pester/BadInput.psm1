<#
The harness of the bad-input suites (ZeroCopyProxy.BadInput.*.Tests.ps1): a case is one command, one
bad value for one parameter, and the exact error id expected. Running a case checks the three promises
for bad input: a specific error id, a message that names the parameter, and nothing left behind (no
job, no descriptor, no engine thread, no socket file).

Why a module: both suite files share the case format, the run and the checks; the case tables stay in
the test files, next to the behaviour they pin down.
#>

Set-StrictMode -Version 3.0

# Arguments that make each command valid apart from the parameter under test. '{name}' placeholders are
# fixtures the test file creates in BeforeAll (Resolve-BadInputValue). The Measure-SocketCopy ones keep a
# wrongly accepted value fast: one small copy, or a closed endpoint that fails at once.
$script:BaseArguments = @{
    'Start-ZeroCopyProxy' = @{ Listen = '127.0.0.1:0'; Target = '127.0.0.1:{closed}' }
    'Get-ZeroCopyProxy'   = @{}
    'Stop-ZeroCopyProxy'  = @{}
    'Set-ZeroCopyProxy'   = @{ Target = '127.0.0.1:{closed}' }
    'Get-ZeroCopyConnection' = @{}
    'Stop-ZeroCopyConnection' = @{}
    # Stall takes no setting, so each setting under test is refused for its value, or by name for its kind.
    'Add-ZeroCopyFault'   = @{ ProxyName = '{taken}'; Type = 'Stall' }
    'Get-ZeroCopyFault'   = @{}
    'Remove-ZeroCopyFault' = @{ ProxyName = '{taken}'; Name = 'badinput-absent' }
    'Measure-SocketCopy'  = @{ Size = 1KB; Iterations = 1; Duration = 2 }
    'Measure-SocketCopy/Endpoint' = @{ Endpoint = '127.0.0.1:{closed}'; BulkSize = 0; RoundTrips = 1; Duration = 2 }
}
$script:EndpointSetParameters = 'Endpoint', 'BulkSize', 'MessageSize', 'RoundTrips'

function New-BadInputCase {
    <#
    One row of a case table. -Parameter is the parameter under test (the completeness test counts it),
    -Kind what sort of bad value it is, -Id the exact error id expected (the part of
    FullyQualifiedErrorId before the comma), -NamedInMessage the parameter the message must name
    (default -Parameter). -With adds or replaces arguments; -NoBase drops the command's base arguments; -Script is
    PowerShell text for what splatting cannot express; -NonTerminating marks the ids that are per-item
    errors by design; -Isolated runs in a second runspace with a deadline (-Wait would otherwise block);
    -Says is a regex the message must also match, where naming the parameter is not enough (a message
    that proposed '[:]:' for '::' named -Listen all the same).
    #>
    param(
        [Parameter(Mandatory)] [string] $Command,
        [Parameter(Mandatory, Position = 0)] [AllowEmptyString()] [string] $Parameter,
        [Parameter(Mandatory, Position = 1)] [ValidateSet('negative', 'zero', 'huge', 'empty', 'whitespace', 'wildcard', 'unicode', 'type', 'malformed', 'conflict', 'syntax', 'resource')] [string] $Kind,
        [Parameter(Position = 2)] [AllowNull()] [AllowEmptyString()] [AllowEmptyCollection()] $Value,
        [Parameter(Mandatory, Position = 3)] [string] $Id,
        [string] $NamedInMessage,
        [string] $Says,
        [hashtable] $With = @{},
        [switch] $NoBase,
        [string] $Script,
        [switch] $NonTerminating,
        [switch] $Isolated,
        # Only for PowerShell's AmbiguousParameterSet, whose fixed message names no parameter at all.
        [switch] $MessageNamesNoParameter
    )
    $shown = if ($Script) { $Script } elseif ($Kind -eq 'conflict') { '' } else { "-$Parameter $(Format-BadInputValue $Value)" }
    if (-not $Script -and $With.Count) { $shown = ($shown + ' ').TrimStart() + (($With.Keys | Sort-Object | ForEach-Object { "-$_ $(Format-BadInputValue $With[$_])" }) -join ' ') }
    @{
        Command = $Command; Parameter = $Parameter; Kind = $Kind; Value = $Value; Id = $Id
        NamedInMessage = if ($MessageNamesNoParameter) { '' } elseif ($NamedInMessage) { $NamedInMessage } else { $Parameter }
        Says = $Says; With = $With; NoBase = [bool]$NoBase; Script = $Script; Terminating = -not $NonTerminating; Isolated = [bool]$Isolated
        Title = if ($Script) { "$Script -> $Id" } else { "$Command $shown -> $Id" }
    }
}

function Format-BadInputValue($Value) {
    <# A value as a case title shows it: control characters escaped, types named, long strings shortened. #>
    if ($null -eq $Value) { return '$null' }
    if ($Value -is [string]) {
        $text = [regex]::Replace($Value, '[\p{Cc}\p{Cf}]', { param($m) '`u{{{0:X}}}' -f [int][char]$m.Value })
        if ($text.Length -gt 48) { $text = $text.Substring(0, 40) + "…($($Value.Length) chars)" }
        return "'$text'"
    }
    if ($Value -is [scriptblock]) { return "{$Value}" }
    if ($Value -is [hashtable]) { return '@{…}' }
    if ($Value -is [Array]) { return '@(' + (($Value | ForEach-Object { Format-BadInputValue $_ }) -join ',') + ')' }
    if ($Value -is [bool]) { return "`$$Value" }
    "[$($Value.GetType().Name)]$Value"
}

function Resolve-BadInputValue($Value, [hashtable] $Fixture) {
    <# Replaces '{name}' placeholders with the fixture values, in strings and in arrays of them. #>
    if ($Value -is [string]) {
        return [regex]::Replace($Value, '\{(\w+)\}', {
                param($m)
                $key = $m.Groups[1].Value
                if (-not $Fixture.ContainsKey($key)) { throw "Case uses fixture '{$key}', which the test file does not provide." }
                [string]$Fixture[$key]
            })
    }
    if ($Value -is [Array]) { return , @($Value | ForEach-Object { Resolve-BadInputValue $_ $Fixture }) }
    $Value
}

function Get-BadInputSnapshot([string] $SocketDirectory) {
    <# What a case could leave behind: jobs, open descriptors and engine threads of this process, files. #>
    $procSelf = "/proc/$PID"
    $fds = $null
    $threads = -1
    if (Test-Path -LiteralPath "$procSelf/fd") {
        $fds = [Collections.Generic.HashSet[string]]::new([IO.Directory]::GetFileSystemEntries("$procSelf/fd"))
        # .NET names an OS thread after the managed thread, cut to 15 characters ("ZeroCopyPS epol").
        $threads = 0
        foreach ($task in [IO.Directory]::GetDirectories("$procSelf/task")) {
            try { if ([IO.File]::ReadAllText("$task/comm").StartsWith('ZeroCopyPS')) { $threads++ } }
            catch [IO.IOException] { }   # the thread ended while we looked
        }
    }
    [pscustomobject]@{
        Jobs    = @(Get-Job | ForEach-Object Id)
        Fds     = $fds
        Threads = $threads
        Files   = @(if ($SocketDirectory) { [IO.Directory]::GetFileSystemEntries($SocketDirectory, '*', [IO.SearchOption]::AllDirectories) | Sort-Object })
    }
}

function Get-BadInputLeftover($Before, [string] $SocketDirectory) {
    <# What is there now that was not before; empty when nothing was left behind. #>
    $now = Get-BadInputSnapshot $SocketDirectory
    $newJobs = @($now.Jobs | Where-Object { $_ -notin $Before.Jobs })
    if ($newJobs) { "new job(s): $(@(Get-Job -Id $newJobs | ForEach-Object { "$($_.Id) '$($_.Name)' $($_.State)" }) -join ', ')" }
    if ($null -ne $now.Fds) {
        $added = @($now.Fds | Where-Object { -not $Before.Fds.Contains($_) })
        if ($added) { "new descriptor(s): $(@($added | ForEach-Object { "$([IO.Path]::GetFileName($_)) -> $(try { [IO.FileInfo]::new($_).LinkTarget } catch { 'closed' })" }) -join ', ')" }
        if ($now.Threads -gt $Before.Threads) { "$($now.Threads - $Before.Threads) new ZeroCopyPS engine thread(s)" }
    }
    $newFiles = @($now.Files | Where-Object { $_ -notin $Before.Files })
    if ($newFiles) { "new file(s): $($newFiles -join ', ')" }
}

function Invoke-BadInputCase([hashtable] $Case, [hashtable] $Fixture, $IsolatedRunspace) {
    <# Runs the case once; returns the error it raised (if any) and whether it was terminating. #>
    $arguments = @{}
    if (-not $Case.NoBase -and -not $Case.Script) {
        $key = if ($Case.Command -eq 'Measure-SocketCopy' -and ($Case.Parameter -in $script:EndpointSetParameters -or $Case.With.ContainsKey('Endpoint'))) { 'Measure-SocketCopy/Endpoint' } else { $Case.Command }
        foreach ($k in $script:BaseArguments[$key].Keys) { $arguments[$k] = Resolve-BadInputValue $script:BaseArguments[$key][$k] $Fixture }
    }
    foreach ($k in $Case.With.Keys) { $arguments[$k] = Resolve-BadInputValue $Case.With[$k] $Fixture }
    if ($Case.Parameter -and -not $Case.Script -and $Case.Kind -ne 'conflict') { $arguments[$Case.Parameter] = Resolve-BadInputValue $Case.Value $Fixture }

    if ($Case.Isolated) { return Invoke-IsolatedCase $Case.Command $arguments $IsolatedRunspace }

    $record = $null
    $terminating = $false
    $nonTerminating = @()
    try {
        if ($Case.Script) {
            # 2>&1: a non-terminating error becomes output to look at instead of text on the console;
            # 'Continue' so that a caller's (Pester's) 'Stop' does not turn it into a terminating one.
            $ErrorActionPreference = 'Continue'
            $output = & ([scriptblock]::Create((Resolve-BadInputValue $Case.Script $Fixture))) 2>&1
            $nonTerminating = @($output | Where-Object { $_ -is [Management.Automation.ErrorRecord] })
        }
        else { $null = & $Case.Command @arguments -ErrorAction SilentlyContinue -ErrorVariable nonTerminating -WarningAction SilentlyContinue }
    }
    catch {
        $record = $_
        $terminating = $true
    }
    if (-not $record -and $nonTerminating) { $record = $nonTerminating[0] }
    [pscustomobject]@{ Record = $record; Terminating = $terminating }
}

function Invoke-IsolatedCase([string] $Command, [hashtable] $Arguments, $Runspace) {
    <# In a second runspace, bounded: a -Wait proxy that wrongly starts is stopped (as Ctrl+C would) after 10 s. #>
    $shell = [PowerShell]::Create()
    try {
        $shell.Runspace = $Runspace
        $null = $shell.AddCommand($Command).AddParameters($Arguments)
        $handle = $shell.BeginInvoke()
        if (-not $handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(10))) {
            $shell.Stop()
            return [pscustomobject]@{ Record = $null; Terminating = $false }
        }
        $record = $null
        try { $null = $shell.EndInvoke($handle) }
        catch {
            $e = $_.Exception
            while ($e -is [Management.Automation.MethodInvocationException] -and $e.InnerException) { $e = $e.InnerException }
            if ($e -is [Management.Automation.IContainsErrorRecord]) { $record = $e.ErrorRecord }
        }
        [pscustomobject]@{ Record = $record; Terminating = $null -ne $record }
    }
    finally { $shell.Dispose() }
}

function Assert-BadInputCase([hashtable] $Case, [hashtable] $Fixture, [string] $SocketDirectory, $IsolatedRunspace) {
    <# The three promises for one case; throws with every broken one listed. #>
    $before = Get-BadInputSnapshot $SocketDirectory
    $result = $null
    $problems = [Collections.Generic.List[string]]::new()
    try {
        $result = Invoke-BadInputCase $Case $Fixture $IsolatedRunspace
    }
    finally {
        # A wrongly accepted value started a proxy: note it, then stop it, so that the descriptors and
        # threads below are the case's own leftovers and later cases start from a clean state.
        $newJobs = @(Get-Job | Where-Object { $_.Id -notin $before.Jobs })
        if ($newJobs) {
            $problems.Add("left behind: new job(s): $(@($newJobs | ForEach-Object { "$($_.Id) '$($_.Name)' $($_.State)" }) -join ', ')")
            $newJobs | Remove-Job -Force
        }
        # Poll briefly (no sleep-and-hope): a stop already under way may finish a moment later.
        $deadline = [DateTime]::UtcNow.AddSeconds(3)
        while (($leftover = @(Get-BadInputLeftover $before $SocketDirectory)) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
        foreach ($item in $leftover) { $problems.Add("left behind: $item") }
    }

    $record = $result.Record
    if (-not $record) {
        $problems.Add('no error at all: the value was accepted')
    }
    else {
        $id = ([string]$record.FullyQualifiedErrorId).Split(',')[0]
        if ($id -cne $Case.Id) { $problems.Add("error id '$($record.FullyQualifiedErrorId)', expected '$($Case.Id),…'") }
        if ($result.Terminating -ne $Case.Terminating) { $problems.Add("terminating: $($result.Terminating), expected $($Case.Terminating)") }
        $messages = @($record.Exception.Message; if ($record.ErrorDetails) { $record.ErrorDetails.Message }) | Where-Object { $_ }
        $name = [regex]::Escape($Case.NamedInMessage)
        if (-not $Case.NamedInMessage) {
            if ($Case.Id -ne 'AmbiguousParameterSet') { $problems.Add('only AmbiguousParameterSet may name no parameter') }
        }
        elseif (-not ($messages | Where-Object { $_ -match "(?<![\w-])-$name(?![\w-])|'$name'" })) {
            $problems.Add("the message does not name -$($Case.NamedInMessage): $($messages -join ' | ')")
        }
        if ($Case.Says -and -not ($messages | Where-Object { $_ -match $Case.Says })) {
            $problems.Add("the message does not say /$($Case.Says)/: $($messages -join ' | ')")
        }
    }
    if ($problems.Count) { throw ($problems -join "`n") }
}

function Get-BadInputCoverageProblem([string] $Command, [hashtable[]] $Cases, [hashtable] $NotApplicable) {
    <#
    Every parameter Get-Command lists (common parameters aside) must have cases of every kind that
    applies to its type: empty, whitespace, wildcard, unicode and type-confused values for all, and
    negative, zero and huge values for numbers and durations. -NotApplicable exempts 'Parameter/kind'
    pairs with the reason (zero is valid for some); an exemption for a parameter that no longer exists
    is itself a problem.
    #>
    $common = @([Management.Automation.PSCmdlet]::CommonParameters) + @([Management.Automation.PSCmdlet]::OptionalCommonParameters)
    $parameters = (Get-Command $Command).Parameters.Values | Where-Object Name -NotIn $common
    foreach ($parameter in $parameters) {
        $type = $parameter.ParameterType
        $element = if ($type.IsArray) { $type.GetElementType() } else { $type }
        $kinds = if ($type -eq [Management.Automation.SwitchParameter]) { @('type') }
        elseif ($element -in [int], [long], [TimeSpan]) { 'negative', 'zero', 'huge', 'empty', 'whitespace', 'wildcard', 'unicode', 'type' }
        else { 'empty', 'whitespace', 'wildcard', 'unicode', 'type' }
        foreach ($kind in $kinds) {
            if ($NotApplicable.ContainsKey("$($parameter.Name)/$kind")) { continue }
            if (-not @($Cases | Where-Object { $_.Parameter -eq $parameter.Name -and $_.Kind -eq $kind })) {
                "-$($parameter.Name) ($($type.Name)) has no '$kind' case"
            }
        }
    }
    foreach ($key in $NotApplicable.Keys) {
        if (($key -split '/')[0] -notin $parameters.Name) { "exemption '$key' names no parameter of $Command" }
    }
}

Export-ModuleMember -Function New-BadInputCase, Assert-BadInputCase, Get-BadInputCoverageProblem
