#Requires -Version 7.4
<#
.SYNOPSIS
    The one entry point: build, test, demo, package and clean ResumeTransfer.
.DESCRIPTION
    Run from the repository root with the pinned PowerShell tool:
        dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
    Build    dotnet build the solution and stage the module in out/ResumeTransfer (what Import-Module loads).
    Test     Build, then the xunit tests and the Pester tests (in a child pwsh); prints "N passed, N failed, N skipped"
             and exits non-zero when anything failed or a runner did not run to the end.
    Demo     Build, then download 200 MiB from the test server, kill -9 the downloading pwsh half way, and resume.
    Bench    Comparisons with curl, aria2c, Invoke-WebRequest (bench/Invoke-Benchmark.ps1; -Quick for a short run).
    Package  Build and zip the staged module to out/ResumeTransfer-<version>.zip.
    Clean    Remove out/ and every bin/ and obj/.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Bench', 'Demo', 'Package', 'Clean')]
    [string] $Task = 'Build',
    [string] $Configuration = 'Release',
    # Bench only: fewer and smaller scenarios.
    [switch] $Quick
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $false
# Logs without escape sequences when the output goes to a file or CI.
if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }

$Root = $PSScriptRoot
$OutDir = Join-Path $Root 'out'
$ModuleDir = Join-Path $OutDir 'ResumeTransfer'
$ResultsDir = Join-Path $OutDir 'test-results'
$Solution = Join-Path $Root 'ResumeTransfer.slnx'
$PesterVersion = '5.7.1'
$TestServerDll = Join-Path $Root "tests/ResumeTransfer.TestServer/bin/$Configuration/net10.0/ResumeTransfer.TestServer.dll"
# The running pwsh is `dotnet <PSHOME>/pwsh.dll`; children are started the same way (no launcher process in
# between), so a child's process id is the process to stop, and setsid makes it the leader of its own group.
$Dotnet = [Environment]::ProcessPath
$PwshDll = Join-Path $PSHOME 'pwsh.dll'

$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
# Which build of the test server tests/pester/TestServer.ps1 starts (also in the child pwsh of the Pester run).
$env:RESUMETRANSFER_CONFIGURATION = $Configuration
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

function Write-Step([string] $Message) {
    Write-Host "==> $Message" -ForegroundColor Cyan
}

function Invoke-Native {
    # Runs a native command, its output to the host (never into the caller's return value); throws when it fails.
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $ArgumentList = @())
    & $FilePath @ArgumentList | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Invoke-ChildProcess {
    # Starts a process with the console inherited and waits for it, killing its whole tree after the timeout.
    # Returns the exit code (or -1 on timeout).
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [int] $TimeoutSec = 1800
    )
    $psi = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($a in $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.WorkingDirectory = $Root
    $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    try {
        if (-not $process.WaitForExit($TimeoutSec * 1000)) {
            Write-Warning "'$FilePath $($ArgumentList -join ' ')' did not finish within $TimeoutSec s; killing it."
            $process.Kill($true)
            $process.WaitForExit()
            return -1
        }
        $process.WaitForExit()   # flushes the exit code on Unix
        return $process.ExitCode
    }
    finally { $process.Dispose() }
}

function Get-ModuleVersion {
    (Import-PowerShellDataFile (Join-Path $Root 'ResumeTransfer.psd1')).ModuleVersion
}

# On CI no MSBuild node or compiler server may outlive the build (they would be left running after the job).
$BuildServerArgs = if ($env:CI -and $env:CI -ne 'false') { @('--disable-build-servers') } else { @() }

function Invoke-Build {
    Write-Step "dotnet build $([IO.Path]::GetFileName($Solution)) -c $Configuration"
    Invoke-Native dotnet (@('build', $Solution, '-c', $Configuration, '--nologo', '-v', 'minimal') + $BuildServerArgs)

    Write-Step "Staging $([IO.Path]::GetRelativePath($Root, $ModuleDir))"
    $binDir = Join-Path $Root "src/ResumeTransfer.Cmdlets/bin/$Configuration/net8.0"
    $required = @(
        (Join-Path $Root 'ResumeTransfer.psd1'),
        (Join-Path $binDir 'ResumeTransfer.dll'),
        (Join-Path $binDir 'ResumeTransfer.Core.dll'),
        (Join-Path $Root 'module/ResumeTransfer.Format.ps1xml'),
        (Join-Path $Root 'module/en-US')
    )
    foreach ($path in $required) {
        if (-not (Test-Path -LiteralPath $path)) { throw "Cannot stage the module: '$path' is missing." }
    }
    if (Test-Path -LiteralPath $ModuleDir) { Remove-Item -LiteralPath $ModuleDir -Recurse -Force }
    New-Item -ItemType Directory -Path $ModuleDir | Out-Null

    Copy-Item -LiteralPath (Join-Path $Root 'ResumeTransfer.psd1') -Destination $ModuleDir
    # The cmdlet assembly, the core and their non-PowerShell dependencies (Polly.Core...). PowerShell's own
    # assemblies come from the host: shipping System.Management.Automation would shadow the real one.
    $hostProvided = '^(System\.Management\.Automation|Microsoft\.PowerShell\..*|Microsoft\.Management\.Infrastructure.*)\.dll$'
    Get-ChildItem -LiteralPath $binDir -File |
        Where-Object { ($_.Extension -eq '.dll' -and $_.Name -notmatch $hostProvided) -or
                       ($_.Extension -eq '.pdb' -and $_.BaseName -like 'ResumeTransfer*') -or
                       $_.Name -eq 'ResumeTransfer.deps.json' } |
        Copy-Item -Destination $ModuleDir
    Copy-Item -LiteralPath (Join-Path $Root 'module/ResumeTransfer.Format.ps1xml') -Destination $ModuleDir
    Copy-Item -LiteralPath (Join-Path $Root 'module/en-US') -Destination $ModuleDir -Recurse

    Get-ChildItem -LiteralPath $ModuleDir -Recurse -File |
        ForEach-Object { '    {0,-45} {1,10:N0} bytes' -f [IO.Path]::GetRelativePath($ModuleDir, $_.FullName), $_.Length } |
        Write-Host
}

function Get-NuGetPackagesRoot {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    $line = & dotnet nuget locals global-packages --list | Select-Object -Last 1
    if ($LASTEXITCODE -ne 0 -or $line -notmatch 'global-packages:\s*(.+)$') { throw "Cannot find the NuGet packages folder: $line" }
    $Matches[1].Trim()
}

function Get-PesterModulePath {
    # Pester ships as a nupkg with the module under tools/; a PackageDownload brings it into the NuGet cache.
    Invoke-Native dotnet (@('restore', (Join-Path $Root 'tests/pester/PesterRestore.proj'), '--nologo', '-v', 'quiet') + $BuildServerArgs)
    $path = Join-Path (Get-NuGetPackagesRoot) "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path -LiteralPath $path)) { throw "Pester $PesterVersion was restored but '$path' does not exist." }
    $path
}

function Read-TrxCounts([string] $Path) {
    [xml] $trx = Get-Content -LiteralPath $Path -Raw
    $c = $trx.TestRun.ResultSummary.Counters
    $failed = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted
    [pscustomobject]@{
        Passed  = [int]$c.passed
        Failed  = $failed
        Skipped = [int]$c.total - [int]$c.passed - $failed
        Outcome = $trx.TestRun.ResultSummary.outcome
    }
}

function Invoke-XunitTests {
    # Returns counts; a runner that crashed or left no results is one failure, never "zero tests".
    Write-Step 'xunit: dotnet test tests/ResumeTransfer.Core.Tests'
    $trx = Join-Path $ResultsDir 'core.trx'
    Remove-Item -LiteralPath $trx -ErrorAction SilentlyContinue
    $exit = Invoke-ChildProcess dotnet (@(
        'test', (Join-Path $Root 'tests/ResumeTransfer.Core.Tests'), '-c', $Configuration, '--no-build', '--nologo',
        '--results-directory', $ResultsDir, '--logger', 'trx;LogFileName=core.trx', '--logger', 'console;verbosity=normal',
        '--blame-hang-timeout', '5m', '--blame-hang-dump-type', 'none') + $BuildServerArgs) -TimeoutSec 900
    if (-not (Test-Path -LiteralPath $trx)) {
        Write-Warning "xunit: no results file ($trx); dotnet test exited with $exit. Counted as one failure."
        return [pscustomobject]@{ Name = 'xunit'; Passed = 0; Failed = 1; Skipped = 0 }
    }
    $counts = Read-TrxCounts $trx
    if ($exit -ne 0 -and $counts.Failed -eq 0) {
        Write-Warning "xunit: dotnet test exited with $exit but reported no failed test (outcome '$($counts.Outcome)'). Counted as one failure."
        $counts.Failed = 1
    }
    if ($counts.Passed + $counts.Failed -eq 0) {
        Write-Warning 'xunit: no test ran. Counted as one failure.'
        $counts.Failed = 1
    }
    [pscustomobject]@{ Name = 'xunit'; Passed = $counts.Passed; Failed = $counts.Failed; Skipped = $counts.Skipped }
}

function Invoke-PesterTests {
    Write-Step 'Pester: tests/pester in a child pwsh'
    $pester = Get-PesterModulePath
    $summary = Join-Path $ResultsDir 'pester-summary.json'
    Remove-Item -LiteralPath $summary -ErrorAction SilentlyContinue
    $exit = Invoke-ChildProcess $Dotnet @(
        $PwshDll, '-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tests/pester/Invoke-PesterChild.ps1'),
        '-PesterPath', $pester, '-TestPath', (Join-Path $Root 'tests/pester'),
        '-ResultPath', (Join-Path $ResultsDir 'pester.xml'), '-SummaryPath', $summary) -TimeoutSec 900
    if (-not (Test-Path -LiteralPath $summary)) {
        Write-Warning "Pester: the child pwsh exited with $exit and wrote no summary. Counted as one failure."
        return [pscustomobject]@{ Name = 'Pester'; Passed = 0; Failed = 1; Skipped = 0 }
    }
    $s = Get-Content -LiteralPath $summary -Raw | ConvertFrom-Json
    $failed = [int]$s.Failed
    if ($exit -ne 0 -and $failed -eq 0) {
        Write-Warning "Pester: the child pwsh exited with $exit but reported no failure. Counted as one failure."
        $failed = 1
    }
    if ([int]$s.Passed + $failed -eq 0) {
        Write-Warning 'Pester: no test ran. Counted as one failure.'
        $failed = 1
    }
    [pscustomobject]@{ Name = 'Pester'; Passed = [int]$s.Passed; Failed = $failed; Skipped = [int]$s.Skipped }
}

function Install-TestPeers {
    # The node test peers (tus, s3rver) that the upload tests start, pinned by tests/peers/package-lock.json.
    $peers = Join-Path $Root 'tests/peers'
    $lock = Join-Path $peers 'package-lock.json'
    if (-not (Test-Path -LiteralPath $lock)) { return }
    $installed = Join-Path $peers 'node_modules/.package-lock.json'
    if ([IO.File]::Exists($installed) -and [IO.File]::GetLastWriteTimeUtc($installed) -ge [IO.File]::GetLastWriteTimeUtc($lock)) { return }
    if (-not (Get-Command npm -CommandType Application -ErrorAction SilentlyContinue)) {
        Write-Warning 'npm is not installed: the upload tests that need the node peers (tests/peers) will fail. Install node 20.'
        return
    }
    Write-Step 'npm ci in tests/peers'
    Push-Location $peers
    try { Invoke-Native npm @('ci', '--no-audit', '--no-fund', '--loglevel=error') }
    finally { Pop-Location }
}

function Invoke-Test {
    # Whatever breaks (the build, a runner, this script), the run ends with the summary line CI reads, and a
    # breakage counts as a failure, never as fewer tests.
    $results = [System.Collections.Generic.List[object]]::new()
    $steps = [ordered]@{
        build  = { Invoke-Build | Out-Host; Install-TestPeers | Out-Host; New-Item -ItemType Directory -Path $ResultsDir -Force | Out-Null }
        xunit  = { Invoke-XunitTests }
        Pester = { Invoke-PesterTests }
    }
    foreach ($name in $steps.Keys) {
        try {
            $step = & $steps[$name]
            if ($step) { $results.Add($step) }
        }
        catch {
            Write-Warning "${name}: $($_.Exception.Message) Counted as one failure."
            $results.Add([pscustomobject]@{ Name = $name; Passed = 0; Failed = 1; Skipped = 0 })
            if ($name -eq 'build') { break }   # nothing to test
        }
    }
    Write-Host ''
    foreach ($r in $results) { Write-Host ('{0,-7} {1} passed, {2} failed, {3} skipped' -f $r.Name, $r.Passed, $r.Failed, $r.Skipped) }
    $passed = ($results | Measure-Object Passed -Sum).Sum
    $failed = ($results | Measure-Object Failed -Sum).Sum
    $skipped = ($results | Measure-Object Skipped -Sum).Sum
    # The one line CI reads: alone on its line, summed over both runners.
    [Console]::Out.WriteLine("$passed passed, $failed failed, $skipped skipped")
    [Console]::Out.Flush()
    if ($failed -gt 0) { exit 1 }
}

function Format-Bytes([long] $Bytes) {
    if ($Bytes -ge 1MB) { '{0:N1} MiB' -f ($Bytes / 1MB) } elseif ($Bytes -ge 1KB) { '{0:N1} KiB' -f ($Bytes / 1KB) } else { "$Bytes B" }
}

function Invoke-Demo {
    # A download is killed with kill -9 half way and resumed: the state on disk is shown, and the result is
    # checked against the server's SHA-256. Runs without a terminal; shows progress bars when it has one.
    Invoke-Build
    . (Join-Path $Root 'tests/pester/TestServer.ps1')
    . (Join-Path $Root 'tests/pester/DetachedPwsh.ps1')
    . (Join-Path $Root 'tests/pester/StateFile.ps1')
    $interactive = -not [Console]::IsOutputRedirected
    if (-not $interactive) { $ProgressPreference = 'SilentlyContinue' }
    $size = 200MB
    $connections = 4
    $rate = 10MB   # per connection: 4 x 10 MiB/s, so the whole file takes about 5 s
    $work = Join-Path $OutDir 'demo'
    if (Test-Path -LiteralPath $work) { Remove-Item -LiteralPath $work -Recurse -Force }
    New-Item -ItemType Directory -Path $work | Out-Null
    $target = Join-Path $work 'demo.bin'

    Write-Step 'Starting the test server (port 0)'
    $server = Start-TestServer -ServerDll $TestServerDll -MaxLifetimeSec 600
    try {
        $tag = "demo-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
        $uri = "$($server.BaseUri)/files/demo.bin?size=$size&rate=$rate&tag=$tag"
        Write-Host "    $uri"
        $command = "Save-ResumableFile -Uri '$uri' -OutFile '$target' -Connections $connections"

        Write-Step "Run 1, in a child pwsh (own process group): $command"
        $quiet = if ($interactive) { '' } else { "`$ProgressPreference = 'SilentlyContinue'; " }
        $childArgs = @{ Command = "${quiet}Import-Module '$ModuleDir'; $command" }
        if (-not $interactive) { $childArgs.OutputPath = Join-Path $work 'run1.log' }
        $child = Start-DetachedPwsh @childArgs
        # Kill at about 45 %, judged by the bytes the server has sent for this tag (it logs them as they go).
        $sent = 0L
        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        while (-not $child.Process.HasExited -and [DateTime]::UtcNow -lt $deadline) {
            $sent = Get-BytesSent @(Get-TestServerLog $server $tag)
            if ($sent -ge 0.45 * $size) { break }
            Start-Sleep -Milliseconds 100
        }
        if ($child.Process.HasExited) {
            $out = Get-DetachedPwshOutput $child
            throw "Run 1 ended by itself (exit code $($child.Process.ExitCode)) before it could be killed. $out"
        }
        Stop-DetachedPwsh $child
        Write-Host ''
        Write-Step "kill -9 of process group $($child.ProcessGroupId) after the server had sent $(Format-Bytes $sent) of $(Format-Bytes $size)"

        Write-Step 'Left behind:'
        Get-ChildItem -LiteralPath $work -File -Filter 'demo.bin*' |
            ForEach-Object { '    {0,-16} {1,15:N0} bytes' -f $_.Name, $_.Length } | Write-Host
        $statePath = "$target.rtstate"
        $progress = Get-DownloadProgress $statePath
        if (-not $progress) { throw "No readable state file was left at ${statePath}: nothing to resume from." }
        if ((Get-Item -LiteralPath "$target.rtpart").Length -eq $size) {
            Write-Host '    The part file has its full length (each connection writes at its own offsets);'
        }
        Write-Host ('    the state file records which bytes are safely there: {0:N0} bytes in {1} segments. {2}:' -f
            $progress.BytesOnDisk, $progress.Segments, [IO.Path]::GetFileName($statePath))
        Get-Content -LiteralPath $statePath -Raw | ConvertFrom-Json | ConvertTo-Json -Depth 10 |
            ForEach-Object { $_ -split "`n" } | ForEach-Object { "      $_" } | Write-Host

        Write-Step "Run 2, here: $command -Resume -PassThru"
        $before = @(Get-TestServerLog $server $tag).Count
        Import-Module $ModuleDir -Force
        $result = Save-ResumableFile -Uri $uri -OutFile $target -Connections $connections -Resume -PassThru
        $result | Format-Table | Out-String -Width 160 | Write-Host
        $second = @(Get-TestServerLog $server $tag | Select-Object -Skip $before)
        $fromServer = Get-BytesSent $second
        $firstRange = ($second | Where-Object { $_.method -eq 'GET' -and $_.range -and $_.range -ne 'bytes=0-0' } | Select-Object -First 1).range

        $expected = Get-TestServerSha256 $server -Size $size
        $actual = (Get-FileHash -LiteralPath $target -Algorithm SHA256).Hash.ToLowerInvariant()
        Write-Host ('    resumed (kept from run 1) : {0,15:N0} bytes' -f $result.BytesResumed)
        Write-Host ('    fetched in run 2          : {0,15:N0} bytes (server sent {1:N0} for run 2; first range {2})' -f $result.BytesDownloaded, $fromServer, $firstRange)
        Write-Host "    SHA-256 of the result     : $actual"
        Write-Host "    SHA-256 from the server   : $expected"
        $leftovers = @(Get-ChildItem -LiteralPath $work -File -Filter 'demo.bin.rt*')
        if ($actual -ne $expected) { throw 'MISMATCH: the resumed file is not the file the server serves.' }
        if ($leftovers) { throw "The download succeeded but left $($leftovers.Name -join ', ') behind." }
        if ($result.BytesResumed -le 0) { throw 'Run 2 resumed nothing: it downloaded the whole file again.' }
        Write-Host '    OK: identical, and run 2 continued from the bytes run 1 left on disk.' -ForegroundColor Green
    }
    finally {
        Stop-TestServer $server
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}

function Invoke-Bench {
    $entry = Join-Path $Root 'bench/Invoke-Benchmark.ps1'
    if (-not (Test-Path -LiteralPath $entry)) {
        Write-Host 'bench/ not yet implemented (see issue 5)'
        return
    }
    # What the comparisons run against, installed when missing as .ci/run does for the tests: nginx, python3-swift,
    # curl and aria2 (Debian packages), and the node peers and clients (tus-js-client, lib-storage) in tests/peers.
    if ($IsLinux -and (Get-Command apt-get -CommandType Application -ErrorAction SilentlyContinue)) {
        Write-Step 'Debian packages for the bench (.ci/install-packages --bench)'
        Invoke-Native bash @((Join-Path $Root '.ci/install-packages'), '--bench')
    }
    Install-TestPeers
    Invoke-Build
    $benchArgs = @($PwshDll, '-NoProfile', '-NonInteractive', '-File', $entry, '-ModulePath', $ModuleDir)
    if ($Quick) { $benchArgs += '-Quick' }
    $exit = Invoke-ChildProcess $Dotnet $benchArgs -TimeoutSec 3600
    if ($exit -ne 0) { throw "The benchmark failed (exit code $exit)." }
}

function Invoke-Package {
    Invoke-Build
    $zip = Join-Path $OutDir "ResumeTransfer-$(Get-ModuleVersion).zip"
    Write-Step "Packaging $([IO.Path]::GetRelativePath($Root, $zip))"
    Remove-Item -LiteralPath $zip -ErrorAction SilentlyContinue
    # The zip holds the ResumeTransfer folder itself, so it unpacks straight into a PSModulePath entry.
    [System.IO.Compression.ZipFile]::CreateFromDirectory($ModuleDir, $zip, [System.IO.Compression.CompressionLevel]::Optimal, $true)
    Write-Host "    $zip ($('{0:N0}' -f (Get-Item -LiteralPath $zip).Length) bytes)"
}

function Invoke-Clean {
    Write-Step 'Removing out/, bin/, obj/'
    $dirs = @(Get-ChildItem -LiteralPath $Root -Directory -Recurse -Include 'bin', 'obj' -Force |
        Where-Object { $_.FullName -notmatch '[\\/](\.git|node_modules)[\\/]' })
    if (Test-Path -LiteralPath $OutDir) { $dirs += Get-Item -LiteralPath $OutDir }
    foreach ($d in $dirs) {
        if (Test-Path -LiteralPath $d.FullName) { Remove-Item -LiteralPath $d.FullName -Recurse -Force }
    }
}

Push-Location $Root
try {
    switch ($Task) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Bench' { Invoke-Bench }
        'Demo' { Invoke-Demo }
        'Package' { Invoke-Package }
        'Clean' { Invoke-Clean }
    }
}
finally {
    Pop-Location
}
