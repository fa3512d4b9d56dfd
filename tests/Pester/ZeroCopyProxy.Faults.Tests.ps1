# The fault suite of the hardening issue: a proxy under descriptor exhaustion, under signals, pointed
# at itself, and listening on Unix paths that are not its own. Written against the behaviour the fixed
# product will have; see each Describe for what it expects. Proxies that must be signalled or limited
# run in a child pwsh (TestHelpers.psm1, ChildProxyHost.ps1), ended by PID in AfterAll or finally.

BeforeAll {
    $script:echo = $null   # AfterAll runs even when this block fails half-way
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:manifest = Import-TestModule
    $script:echo = New-TestEchoServer

    # Starts a proxy that is expected to be refused; returns the error (or the job that started instead).
    function Invoke-RefusedStart([hashtable] $Arguments) {
        $before = @(Get-Job | Where-Object PSJobTypeName -EQ 'ZeroCopyProxy').Count
        $job = $null; $record = $null
        try { $job = Start-ZeroCopyProxy @Arguments -ErrorAction Stop } catch { $record = $_ }
        [pscustomobject]@{
            Error = $record; Job = $job
            JobsAdded = @(Get-Job | Where-Object PSJobTypeName -EQ 'ZeroCopyProxy').Count - $before
            Summary = if ($record) { "it failed with '$($record.FullyQualifiedErrorId)': $record" } else { "it started instead (job $($job.Name), listening on $($job.ListenEndPoints -join ', '))" }
        }
    }

    # One signal scenario: a child proxy on 127.0.0.1:<port> and unix:<dir>/p.sock, a download in progress
    # from a target that streams without end, then the signal. Returns what each side saw; never throws
    # after the signal, so every It of the scenario can report its own part.
    function Invoke-SignalScenario([string] $Signal, [string] $Mode) {
        $dir = New-TestTempDirectory
        $socketPath = Join-Path $dir 'p.sock'
        $port = Get-TestClosedPort
        $source = [ZeroCopyPS.TestSupport.EndlessSource]::new()
        $child = $null; $download = $null
        $run = [ordered]@{ Client = '(no end within 10 s)'; ClientBytes = 0; SourceSend = '(no end within 10 s)'; Exited = $false
            ExitCode = $null; SecondsToExit = $null; SocketFileBefore = $false; SocketFileAfterExit = $null; ChildOutput = '' }
        try {
            $arguments = @{ Listen = @("127.0.0.1:$port", "unix:$socketPath"); Target = $source.EndPoint; DrainTimeout = 1 }
            $child = Start-TestProxyChild -ProxyArguments $arguments -Wait:($Mode -eq 'Wait') -WaitJob:($Mode -eq 'Job')
            if ($Mode -eq 'Job') {
                $started = Wait-TestChildLine -Child $child -Prefix 'STARTED '
                if (-not $started.Ok) { throw "the child's proxy did not start: $($started.ErrorId) $($started.Message)" }
            }
            else { $null = Wait-TestChildLine -Child $child -Prefix 'WAITING ' }
            $download = [ZeroCopyPS.TestSupport.Downloader]::new($port, 20000)
            Wait-TestCondition { $download.BytesReceived -ge 1MB -or $download.Outcome.IsCompleted } -TimeoutSeconds 20 -Because 'a download through the proxy'
            if ($download.Outcome.IsCompleted) { throw "the download ended before the signal: $($download.Outcome.Result)" }
            $run.SocketFileBefore = Test-Path -LiteralPath $socketPath

            $clock = [Diagnostics.Stopwatch]::StartNew()
            Send-TestSignal -Child $child -Signal $Signal
            while ($clock.Elapsed.TotalSeconds -lt 10 -and -not ($download.Outcome.IsCompleted -and $source.SendEnded.IsCompleted -and $child.HasExited)) {
                Start-Sleep -Milliseconds 20
            }
            if ($download.Outcome.IsCompleted) { $run.Client = $download.Outcome.Result }
            $run.ClientBytes = $download.BytesReceived
            if ($source.SendEnded.IsCompleted) { $run.SourceSend = $source.SendEnded.Result }
            if ($child.HasExited) {
                $run.Exited = $true; $run.ExitCode = $child.ExitCode; $run.SecondsToExit = [math]::Round($clock.Elapsed.TotalSeconds, 1)
                $run.SocketFileAfterExit = Test-Path -LiteralPath $socketPath
            }
            $run.ChildOutput = "stdout: $($child.StandardOutput) stderr: $($child.StandardError)"
        }
        finally {
            Stop-TestChild $child
            if ($download) { $download.Dispose() }
            $source.Dispose()
            Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction Ignore
        }
        [pscustomobject]$run
    }
}

AfterAll {
    Remove-TestProxyJob
    if ($script:echo) { $script:echo.Dispose() }
}

# 1. A child pwsh under `ulimit -n 256`: the proxy lowers its connection limit to what the descriptors
#    allow (warning, EffectiveMaxConnections, DescriptorLimit), survives 1,000 clients, serves again after.
Describe 'Fault: descriptor exhaustion under ulimit -n 256 (<Engine>)' -ForEach @(@{ Engine = 'Epoll' }, @{ Engine = 'Managed' }) {
    BeforeAll {
        $state = @{ Flood = $null }
        $child = Start-TestProxyChild -DescriptorLimit 256 -ProxyArguments @{ Listen = '127.0.0.1:0'; Target = $echo.EndPoint; Engine = $Engine; Name = 'fd-default' }
        $started = Wait-TestChildLine -Child $child -Prefix 'STARTED '
        $second = Invoke-TestChildCommand -Child $child -Verb start -Json (@{ Listen = '127.0.0.1:0'; Target = $echo.EndPoint; Engine = $Engine; Name = 'fd-max100'; MaxConnections = 100 } | ConvertTo-Json -Compress)
        $proxies = @(Invoke-TestChildCommand -Child $child -Verb get)
        $default = $proxies | Where-Object Name -EQ 'fd-default'
        $max100 = $proxies | Where-Object Name -EQ 'fd-max100'
        $port = if ($started.Ok) { [int]($started.Listen[0] -split ':')[-1] } else { 0 }
    }
    AfterAll {
        if ($state.Flood) { $state.Flood.Dispose() }
        Stop-TestChild $child
    }

    It 'warns on start that the descriptor limit lowers MaxConnections' {
        $started.Ok | Should -BeTrue -Because "the child said: $($started | ConvertTo-Json -Compress)"
        @($started.Warnings) -match '^WarningRecord: .*MaxConnections' | Should -Not -BeNullOrEmpty -Because "the warnings were: [$($started.Warnings -join '; ')]"
    }

    It 'reports EffectiveMaxConnections below the 10000 asked for, and DescriptorLimit 256' {
        $names = $default.PSObject.Properties.Name
        $names | Should -Contain 'EffectiveMaxConnections' -Because 'Get-ZeroCopyProxy shows the limit in force'
        $names | Should -Contain 'DescriptorLimit'
        $default.EffectiveMaxConnections | Should -BeOfType ([long]) -Because 'it is an integer (int in .NET, a JSON number here)'
        $default.EffectiveMaxConnections | Should -BeGreaterThan 0
        $default.EffectiveMaxConnections | Should -BeLessThan 10000
        $default.DescriptorLimit | Should -Be 256
    }

    It 'with -MaxConnections 100 also warns, and the effective limit is below 100' {
        $second.Ok | Should -BeTrue -Because "the child said: $($second | ConvertTo-Json -Compress)"
        @($second.Warnings) -match 'MaxConnections' | Should -Not -BeNullOrEmpty -Because "the warnings were: [$($second.Warnings -join '; ')]"
        $max100.PSObject.Properties.Name | Should -Contain 'EffectiveMaxConnections'
        $max100.EffectiveMaxConnections | Should -BeLessThan 100
        $max100.EffectiveMaxConnections | Should -BeGreaterThan 0
        $max100.DescriptorLimit | Should -Be 256
    }

    It 'stays alive for 20 s with 1,000 clients on it, serving some and keeping the rest waiting or refused' {
        $port | Should -BeGreaterThan 0 -Because 'the proxy must have started'
        $flood = $state.Flood = [ZeroCopyPS.TestSupport.ClientFlood]::new($port, 1000, 2000, 16)
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $flood.WaitConnectsSettled(15000) | Should -BeTrue -Because 'each connect is bounded by 2 s'
        $alive = -not $child.WaitForExit(20000)   # returns as soon as the child dies

        $alive | Should -BeTrue -Because ("the child must survive, but it exited $(if (-not $alive) { $child.ExitCode }) " +
            "$([math]::Round($clock.Elapsed.TotalSeconds, 1)) s after the clients began (clients then: $($flood.Summary)); stderr: $($child.StandardError)")
        $flood.Echoed | Should -BeGreaterThan 0 -Because "some clients are served ($($flood.Summary))"
        $flood.Corrupted | Should -Be 0 -Because 'no echo comes back wrong'
        # Served clients stay connected, so at most the effective limit of them can have been served.
        $flood.Echoed | Should -BeLessOrEqual $default.EffectiveMaxConnections -Because "the rest wait or are refused ($($flood.Summary))"
    }

    It 'serves a 1 MiB echo once the clients are gone' {
        if ($state.Flood) { $state.Flood.Dispose() }
        $child.HasExited | Should -BeFalse -Because "the child must still run (it exited $(if ($child.HasExited) { $child.ExitCode }))"
        $result = Invoke-TestExchange -Port $port -Bytes 1MB -TimeoutSeconds 20
        $result.EchoMatches | Should -BeTrue -Because "received $($result.BytesReceived) bytes, error: $($result.Error)"
    }
}

# 2. SIGTERM, SIGHUP and SIGINT, job mode and -Wait: a cut download is reset, never a clean EOF, and the
#    Unix socket file is removed. SIGINT in -Wait mode drains first (-DrainTimeout 1), then resets.
Describe 'Fault: <Signal> in <Mode> mode resets open connections' -ForEach @(
    @{ Signal = 'SIGTERM'; Mode = 'Job' }, @{ Signal = 'SIGHUP'; Mode = 'Job' }, @{ Signal = 'SIGINT'; Mode = 'Job' }
    @{ Signal = 'SIGTERM'; Mode = 'Wait' }, @{ Signal = 'SIGHUP'; Mode = 'Wait' }, @{ Signal = 'SIGINT'; Mode = 'Wait' }
) {
    BeforeAll {
        $run = Invoke-SignalScenario -Signal $Signal -Mode $Mode
    }

    It 'the downloading client sees a reset, not a clean EOF' {
        $run.Client | Should -Be 'ConnectionReset' -Because "the client's read ended with '$($run.Client)' after $($run.ClientBytes) bytes"
    }

    It 'the streaming target''s send fails with a reset or a broken pipe' {
        $run.SourceSend | Should -BeIn @('Reset', 'BrokenPipe') -Because "the target's send ended with '$($run.SourceSend)'"
    }

    It 'the process exits and its Unix socket file is gone' {
        $run.SocketFileBefore | Should -BeTrue -Because 'the proxy created p.sock'
        $run.Exited | Should -BeTrue -Because "the process must exit on $Signal (still running 10 s after it)"
        $run.SocketFileAfterExit | Should -BeFalse -Because "p.sock was left behind (exit code $($run.ExitCode) after $($run.SecondsToExit) s)"
    }
}

# 3. A proxy whose target is its own listener is refused; a loop through two proxies is cut at once.
Describe 'Fault: a proxy that targets itself (<Engine>)' -ForEach @(@{ Engine = 'Epoll' }, @{ Engine = 'Managed' }) {
    AfterEach { Remove-TestProxyJob }

    It 'refuses -Listen <Listen> -Target <Target> with ProxyTargetsItself' -ForEach @(
        @{ Listen = '127.0.0.1:PORT'; Target = '127.0.0.1:PORT' }
        @{ Listen = 'PORT'; Target = '127.0.0.1:PORT' }
        @{ Listen = 'PORT'; Target = 'localhost:PORT' }
    ) {
        $port = [string](Get-TestClosedPort)
        $result = Invoke-RefusedStart @{ Listen = $Listen.Replace('PORT', $port); Target = $Target.Replace('PORT', $port); Engine = $Engine }

        $result.Error | Should -Not -BeNullOrEmpty -Because $result.Summary
        $result.Error.FullyQualifiedErrorId | Should -BeLike 'ProxyTargetsItself*' -Because $result.Summary
        $result.JobsAdded | Should -Be 0 -Because 'a refused start leaves no job'
    }

    It 'cuts a loop through two proxies (ProxyLoop) and keeps both serving' {
        $portB = Get-TestClosedPort
        # -MaxConnections bounds the fan-out of a product that does not cut the loop; -DrainTimeout 0 only speeds up clean-up.
        $common = @{ Engine = $Engine; MaxConnections = 50; DrainTimeout = 0 }
        $proxyA = Start-ZeroCopyProxy -Listen 127.0.0.1:0 -Target "127.0.0.1:$portB" -Name "loopA-$Engine" @common
        $portA = Get-TestListenPort $proxyA
        $proxyB = Start-ZeroCopyProxy -Listen "127.0.0.1:$portB" -Target "127.0.0.1:$portA" -Name "loopB-$Engine" @common
        $client = $null
        try {
            # The loop may be cut before the client's connect even returns: a reset here is the product working.
            try { $client = Open-TestIdleConnection -Port $portA; $null = $client.Send([byte[]](1, 2, 3)) }
            catch [System.Management.Automation.MethodInvocationException] { }
            $most = 0
            $window = [Diagnostics.Stopwatch]::StartNew()
            while ($window.Elapsed.TotalSeconds -lt 2) {   # "stays small" is a property of the whole 2 s
                $sum = (Get-ZeroCopyProxy -Name $proxyA.Name).TotalConnections + (Get-ZeroCopyProxy -Name $proxyB.Name).TotalConnections
                if ($sum -gt $most) { $most = $sum }
                Start-Sleep -Milliseconds 50
            }
            $reasons = { @(@($proxyA.Output) + @($proxyB.Output) | ForEach-Object { "$($_.CloseReason)" }) }
            $loopSeen = $false
            try { Wait-TestCondition { (& $reasons) -contains 'ProxyLoop' } -TimeoutSeconds 10 -Because 'a ProxyLoop record'; $loopSeen = $true } catch { }

            # Cut on the first round back: 3 connections (client->A, A->B, B->A). Twice in about ten full-suite runs a
            # loaded machine saw 7 (the loop recognised two rounds late; not reproduced alone, left open in the
            # closing note). A product that does not cut the loop reaches -MaxConnections (50) within the window.
            $most | Should -BeLessOrEqual 10 -Because "one client must not fan out into a connection storm (close reasons: [$((& $reasons) -join ', ')])"
            $loopSeen | Should -BeTrue -Because "a record with CloseReason ProxyLoop must appear (close reasons so far: [$((& $reasons) -join ', ')])"
            $proxyA.JobStateInfo.State | Should -Be 'Running'
            $proxyB.JobStateInfo.State | Should -Be 'Running'
        }
        finally { if ($client) { $client.Dispose() } }
    }
}

# 4. A Unix path whose listener's accept queue is full: refused as in use, quickly, and left alone.
Describe 'Fault: a live Unix socket with a full backlog' {
    It 'refuses it with ListenAddressInUse within 10 s (not a hang) and leaves the socket alone' {
        $dir = New-TestTempDirectory
        $path = Join-Path $dir 'full.sock'
        $holder = [ZeroCopyPS.TestSupport.FullBacklogUnixListener]::new($path)
        $shell = $null
        try {
            $holder.Full | Should -BeTrue -Because 'nonblocking connects must fill the backlog until EAGAIN'
            $before = Get-TestFileIdentity $path
            $sessionState = [initialsessionstate]::CreateDefault2()
            $sessionState.ImportPSModule($manifest)
            $shell = [powershell]::Create($sessionState)
            $null = $shell.AddCommand('Get-Command').AddArgument('Start-ZeroCopyProxy').Invoke()   # runspace open, module loaded: the 10 s are Start's alone
            $shell.Commands.Clear()
            $null = $shell.AddCommand('Start-ZeroCopyProxy').AddParameter('Listen', "unix:$path").AddParameter('Target', "127.0.0.1:$(Get-TestClosedPort)")
            $handle = $shell.BeginInvoke()
            $inTime = $handle.AsyncWaitHandle.WaitOne(10000)
            $during = Get-TestFileIdentity $path
            if (-not $inTime) { $null = $holder.Drain() }   # releases a start blocked on the full queue
            $finished = $handle.AsyncWaitHandle.WaitOne(10000)
            $reason = $shell.InvocationStateInfo.Reason
            $errorId = if (-not $finished) { '(nothing: still running)' }
            elseif ($reason -is [System.Management.Automation.IContainsErrorRecord]) { $reason.ErrorRecord.FullyQualifiedErrorId }
            elseif ($reason) { "$($reason.GetType().Name): $($reason.Message)" }
            else { '(no error: it started)' }

            $inTime | Should -BeTrue -Because "Start-ZeroCopyProxy must not hang on a full accept queue (after the test drained the queue it ended: $finished, with '$errorId')"
            $errorId | Should -BeLike 'ListenAddressInUse*'
            $during.Inode | Should -Be $before.Inode -Because 'the live socket file stays in place'
            $during.Type | Should -Be 'socket'
            (Get-TestFileIdentity $path).Inode | Should -Be $before.Inode
        }
        finally {
            $null = $holder.Drain()
            if ($shell) { Remove-TestProxyJob; $shell.Dispose() }
            $holder.Dispose()
            Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction Ignore
        }
    }
}

# 5. Only a stale socket is ever replaced or removed; socket file modes.
Describe 'Fault: Unix socket paths that are not the proxy''s own (<Engine>)' -ForEach @(@{ Engine = 'Epoll' }, @{ Engine = 'Managed' }) {
    BeforeEach { $dir = New-TestTempDirectory }
    AfterEach {
        Remove-TestProxyJob
        Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction Ignore
    }

    It 'refuses a path that is <Kind> with ListenPathNotASocket and leaves it unchanged' -ForEach @(
        @{ Kind = 'a regular file' }, @{ Kind = 'a FIFO' }, @{ Kind = 'a symlink to a regular file' }, @{ Kind = 'a directory' }
    ) {
        $path = Join-Path $dir 'p.sock'
        $real = Join-Path $dir 'real.txt'
        switch ($Kind) {
            'a regular file' { Set-Content -LiteralPath $path -Value 'precious data' }
            'a FIFO' { & mkfifo -- $path }
            'a symlink to a regular file' { Set-Content -LiteralPath $real -Value 'precious data'; $null = New-Item -ItemType SymbolicLink -Path $path -Target $real }
            'a directory' { $null = New-Item -ItemType Directory -Path $path; Set-Content -LiteralPath (Join-Path $path 'inside.txt') -Value 'precious data' }
        }
        $before = Get-TestFileIdentity $path
        $linkBefore = (Get-Item -LiteralPath $path -Force).LinkTarget

        $result = Invoke-RefusedStart @{ Listen = "unix:$path"; Target = $echo.EndPoint; Engine = $Engine }
        $after = Get-TestFileIdentity $path

        $after | Should -Not -BeNullOrEmpty -Because "$Kind must not be deleted ($($result.Summary))"
        $after.Type | Should -Be $before.Type -Because "$Kind must not be replaced ($($result.Summary))"
        $after.Inode | Should -Be $before.Inode
        switch ($Kind) {
            'a regular file' { Get-Content -LiteralPath $path -Raw | Should -Be "precious data$([Environment]::NewLine)" }
            'a symlink to a regular file' { (Get-Item -LiteralPath $path -Force).LinkTarget | Should -Be $linkBefore; Get-Content -LiteralPath $real -Raw | Should -Be "precious data$([Environment]::NewLine)" }
            'a directory' { Get-Content -LiteralPath (Join-Path $path 'inside.txt') -Raw | Should -Be "precious data$([Environment]::NewLine)" }
        }
        $result.Error | Should -Not -BeNullOrEmpty -Because $result.Summary
        # Before the fix a directory gave bind's EADDRINUSE ("address already in use"), which misleads.
        ($result.Error.FullyQualifiedErrorId -split ',')[0] | Should -Be 'ListenPathNotASocket' -Because $result.Summary
        $result.JobsAdded | Should -Be 0
    }

    It 'replaces a stale socket file (nothing listens on it) and serves' {
        $path = Join-Path $dir 'p.sock'
        New-TestStaleUnixSocket -Path $path
        $stale = Get-TestFileIdentity $path
        $stale.Type | Should -Be 'socket'

        $null = Start-ZeroCopyProxy -Listen "unix:$path" -Target $echo.EndPoint -Engine $Engine

        # (No inode comparison: a freed inode number is often reused for the new socket at once.)
        (Get-TestFileIdentity $path).Type | Should -Be 'socket'
        (Invoke-TestUnixExchange -Path $path -Bytes 5000).EchoMatches | Should -BeTrue -Because 'the proxy listens on the replaced path'
    }

    It 'removes its own socket file when it stops' {
        $path = Join-Path $dir 'p.sock'
        $job = Start-ZeroCopyProxy -Listen "unix:$path" -Target $echo.EndPoint -Engine $Engine
        Test-Path -LiteralPath $path | Should -BeTrue
        $job | Stop-ZeroCopyProxy
        Test-Path -LiteralPath $path | Should -BeFalse
    }

    It 'leaves a file that replaced its socket meanwhile in place when it stops: <Replacement>' -ForEach @(
        @{ Replacement = 'a regular file' }, @{ Replacement = 'another listener''s socket' }
    ) {
        $path = Join-Path $dir 'p.sock'
        $job = Start-ZeroCopyProxy -Listen "unix:$path" -Target $echo.EndPoint -Engine $Engine
        Remove-Item -LiteralPath $path
        $other = $null
        try {
            if ($Replacement -eq 'a regular file') { Set-Content -LiteralPath $path -Value 'not yours' } else { $other = New-TestUnixListener -Path $path }
            $before = Get-TestFileIdentity $path

            $job | Stop-ZeroCopyProxy

            $after = Get-TestFileIdentity $path
            $after | Should -Not -BeNullOrEmpty -Because "Stop must not delete $Replacement that replaced its socket"
            $after.Inode | Should -Be $before.Inode
            if ($other) { Test-TestUnixConnect -Path $path | Should -BeTrue -Because 'the other listener still answers' }
            else { Get-Content -LiteralPath $path -Raw | Should -Be "not yours$([Environment]::NewLine)" }
        }
        finally { if ($other) { $other.Dispose() } }
    }

    It '-UnixSocketMode 0600 gives a socket file srw-------' {
        $path = Join-Path $dir 'p.sock'
        $null = Start-ZeroCopyProxy -Listen "unix:$path" -Target $echo.EndPoint -Engine $Engine -UnixSocketMode 0600   # as a user types it: [string] gets '0600', [int] gets 600
        (Get-TestFileIdentity $path).Mode | Should -Be 'srw-------'
    }

    It 'creates the socket file srw-rw---- by default, even under umask 000' {
        $path = Join-Path $dir 'p.sock'
        $child = Start-TestProxyChild -Umask '000' -ProxyArguments @{ Listen = "unix:$path"; Target = $echo.EndPoint; Engine = $Engine }
        try {
            $started = Wait-TestChildLine -Child $child -Prefix 'STARTED '
            $started.Ok | Should -BeTrue -Because "the child said: $($started | ConvertTo-Json -Compress)"
            (Get-TestFileIdentity $path).Mode | Should -Be 'srw-rw----'
        }
        finally { Stop-TestChild $child }
    }
}
