# Starts a helper server as a process that prints `READY <url>...` on stdout once it listens, and stops it again: the
# routine the test server (TestServer.ps1) and the upload peers (TusPeer.ps1, SwiftS3Peer.ps1) share. Dot-source it;
# each launcher builds its own ProcessStartInfo (program, arguments, environment) and its own result object, which
# keeps the Process, LogDirectory, Drains and Files properties that Stop-ReadyProcess needs.

function Start-ReadyProcess {
    # Starts the process with stdin, stdout and stderr redirected (stdin stays open: the lifeline for peers that exit
    # when it closes), and waits for the READY line. Returns Process, Ready (the $Matches of -ReadyPattern),
    # LogDirectory (stderr.log, stdout.log), Drains and Files. Kills the process and throws with its stderr when no
    # READY line comes within -ReadyTimeoutSec.
    param(
        [Parameter(Mandatory)] [System.Diagnostics.ProcessStartInfo] $StartInfo,
        # Says which process it is in the error: 'The test server'.
        [Parameter(Mandatory)] [string] $Name,
        # The log directory's name in the temp directory: <prefix>-<8 hex>.
        [Parameter(Mandatory)] [string] $LogPrefix,
        # Matches the READY line, with the URLs as groups.
        [Parameter(Mandatory)] [string] $ReadyPattern,
        [int] $ReadyTimeoutSec = 30
    )
    $StartInfo.UseShellExecute = $false
    $StartInfo.RedirectStandardInput = $true    # held open until Stop-ReadyProcess (or the death of this pwsh)
    $StartInfo.RedirectStandardOutput = $true
    $StartInfo.RedirectStandardError = $true
    $logDir = Join-Path ([System.IO.Path]::GetTempPath()) "$LogPrefix-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
    New-Item -ItemType Directory -Path $logDir | Out-Null
    try { $process = [System.Diagnostics.Process]::Start($StartInfo) }
    catch {
        Remove-Item -LiteralPath $logDir -Recurse -Force -ErrorAction SilentlyContinue
        throw
    }

    # Drain stderr to a file from the start, and stdout after the READY line, on .NET's own threads (no script-block
    # callbacks), so a chatty process can never block on a full pipe.
    $stderrFile = [System.IO.File]::Create((Join-Path $logDir 'stderr.log'))
    $stderrCopy = $process.StandardError.BaseStream.CopyToAsync($stderrFile)

    $stdoutLines = [System.Collections.Generic.List[string]]::new()
    $deadline = [DateTime]::UtcNow.AddSeconds($ReadyTimeoutSec)
    $ready = $null
    while (-not $ready) {
        $lineTask = $process.StandardOutput.ReadLineAsync()
        $remaining = [int][Math]::Max(0, ($deadline - [DateTime]::UtcNow).TotalMilliseconds)
        if (-not $lineTask.Wait($remaining)) { break }
        $line = $lineTask.Result
        if ($null -eq $line) { break }   # the process exited
        $stdoutLines.Add($line)
        if ($line -match $ReadyPattern) { $ready = $Matches }
    }
    if (-not $ready) {
        if (-not $process.HasExited) { $process.Kill($true) }
        $process.WaitForExit(5000) | Out-Null
        $stderrCopy.Wait(2000) | Out-Null
        $stderrFile.Dispose()
        $stderr = Get-Content -LiteralPath (Join-Path $logDir 'stderr.log') -Raw
        $process.Dispose()
        Remove-Item -LiteralPath $logDir -Recurse -Force -ErrorAction SilentlyContinue
        throw "$Name did not print READY within $ReadyTimeoutSec s. stdout: $($stdoutLines -join ' | ') stderr: $stderr"
    }
    # Unbuffered and shared for reading: a launcher may read the log while the process runs (Get-TusPeerLog does).
    $stdoutFile = [System.IO.FileStream]::new((Join-Path $logDir 'stdout.log'), 'Create', 'Write', 'ReadWrite', 1)
    $stdoutCopy = $process.StandardOutput.BaseStream.CopyToAsync($stdoutFile)

    [pscustomobject]@{
        Process      = $process
        Ready        = $ready
        LogDirectory = $logDir
        Drains       = @($stderrCopy, $stdoutCopy)
        Files        = @($stderrFile, $stdoutFile)
    }
}

function Stop-ReadyProcess {
    # Asks the process to exit (-Via Lifeline: closes its stdin; -Via SigTerm: kill -TERM), kills it if it has not
    # within -WaitMs, waits for the log drains, and disposes of everything and removes the log directory.
    param(
        # What Start-ReadyProcess returned, or a launcher's object with its Process, LogDirectory, Drains and Files.
        $Handle,
        [Parameter(Mandatory)] [ValidateSet('Lifeline', 'SigTerm')] [string] $Via,
        [int] $WaitMs = 5000
    )
    if (-not $Handle) { return }
    $p = $Handle.Process
    try {
        if (-not $p.HasExited) {
            if ($Via -eq 'SigTerm') { & kill -TERM $p.Id 2>$null } else { $p.StandardInput.Close() }
            if (-not $p.WaitForExit($WaitMs)) { $p.Kill($true); $p.WaitForExit(5000) | Out-Null }
        }
        foreach ($t in $Handle.Drains) { try { $t.Wait(2000) | Out-Null } catch { } }
    }
    finally {
        foreach ($f in $Handle.Files) { $f.Dispose() }
        $p.Dispose()
        Remove-Item -LiteralPath $Handle.LogDirectory -Recurse -Force -ErrorAction SilentlyContinue
    }
}
