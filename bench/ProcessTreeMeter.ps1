# Runs one command as a whole process and measures wall time and the peak resident memory of its whole
# process tree (pwsh started through `dotnet pwsh` is two processes; curl -Z and aria2c are one).
# Linux only: reads /proc. Sampling every 25 ms costs well under 1% of one core.

function Get-TreeRssBytes([int] $RootId) {
    $total = 0L
    $stack = [System.Collections.Generic.Stack[int]]::new()
    $stack.Push($RootId)
    while ($stack.Count -gt 0) {
        $id = $stack.Pop()
        try {
            foreach ($line in [System.IO.File]::ReadLines("/proc/$id/status")) {
                if ($line.StartsWith('VmRSS:')) { $total += [long]($line -split '\s+')[1] * 1KB; break }
            }
            foreach ($task in [System.IO.Directory]::GetDirectories("/proc/$id/task")) {
                $children = [System.IO.File]::ReadAllText("$task/children").Trim()
                if ($children) { foreach ($c in $children -split ' ') { $stack.Push([int]$c) } }
            }
        }
        catch [System.IO.IOException] { }          # the process ended while we looked
        catch [System.UnauthorizedAccessException] { }
    }
    $total
}

function Measure-ProcessTree {
    param(
        [Parameter(Mandatory)] [string] $FileName,
        [string[]] $ArgumentList = @(),
        [string] $WorkingDirectory = (Get-Location).Path,
        [int] $TimeoutSec = 600,
        # Kill the whole tree after this many seconds (for interruption scenarios); 0 = never.
        [double] $KillAfterSec = 0,
        # Or kill it as soon as this returns true (asked every 25 ms), e.g. when half of an upload has gone.
        [scriptblock] $KillWhen
    )
    $psi = [System.Diagnostics.ProcessStartInfo]::new($FileName)
    foreach ($a in $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.WorkingDirectory = $WorkingDirectory
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $p = [System.Diagnostics.Process]::Start($psi)
    $stdout = $p.StandardOutput.ReadToEndAsync()
    $stderr = $p.StandardError.ReadToEndAsync()
    $peak = 0L
    $killed = $false
    while (-not $p.WaitForExit(25)) {
        $rss = Get-TreeRssBytes $p.Id
        if ($rss -gt $peak) { $peak = $rss }
        if (-not $killed -and (($KillAfterSec -gt 0 -and $sw.Elapsed.TotalSeconds -ge $KillAfterSec) -or ($KillWhen -and (& $KillWhen)))) {
            $p.Kill($true)   # SIGKILL to the whole tree: a crash, not a clean stop
            $killed = $true
        }
        if ($sw.Elapsed.TotalSeconds -gt $TimeoutSec) { $p.Kill($true); throw "$FileName timed out after $TimeoutSec s" }
    }
    $p.WaitForExit()
    $sw.Stop()
    [pscustomobject]@{
        Seconds   = $sw.Elapsed.TotalSeconds
        PeakBytes = $peak
        ExitCode  = $p.ExitCode
        Killed    = $killed
        StdOut    = $stdout.Result
        StdErr    = $stderr.Result
    }
}
