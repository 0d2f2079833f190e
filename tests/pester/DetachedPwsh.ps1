# Runs a script in a child pwsh that is the leader of its own session and process group (setsid), so it can be
# killed the way a crash or `kill -9` kills it: SIGKILL to the whole group, no finally blocks, no Dispose.
# Dot-source it:  . $PSScriptRoot/DetachedPwsh.ps1

function Start-DetachedPwsh {
    param(
        [Parameter(Mandatory)] [string] $Command,
        # Where the child's stdout and stderr go; none = inherit this console (to show its progress bars).
        [string] $OutputPath,
        [string] $WorkingDirectory = (Get-Location).Path
    )
    # `dotnet <PSHOME>/pwsh.dll` is the pwsh itself (the `dotnet pwsh` tool launcher would add a process).
    $psi = [System.Diagnostics.ProcessStartInfo]::new('setsid')
    foreach ($a in @([Environment]::ProcessPath, (Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-Command', $Command)) {
        $psi.ArgumentList.Add($a)
    }
    $psi.UseShellExecute = $false
    $psi.WorkingDirectory = $WorkingDirectory
    $psi.RedirectStandardInput = $true   # the child never reads a terminal
    $drains = @(); $files = @()
    if ($OutputPath) {
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
    }
    $process = [System.Diagnostics.Process]::Start($psi)
    $process.StandardInput.Close()
    if ($OutputPath) {
        # One file for both streams; .NET threads copy them so the child never blocks on a full pipe.
        $out = [System.IO.FileStream]::new($OutputPath, 'Create', 'Write', 'ReadWrite')
        $err = [System.IO.FileStream]::new("$OutputPath.stderr", 'Create', 'Write', 'ReadWrite')
        $files = @($out, $err)
        $drains = @($process.StandardOutput.BaseStream.CopyToAsync($out), $process.StandardError.BaseStream.CopyToAsync($err))
    }
    # setsid only forks when its caller leads a process group, which a child of this process never does:
    # the id we hold is the group's id. Checked, because killing the wrong group would be a disaster.
    $pgid = Get-ProcessGroupId $process.Id
    if ($pgid -ne $process.Id) {
        $process.Kill($true)
        throw "setsid did not make process $($process.Id) a group leader (its group is $pgid)."
    }
    [pscustomobject]@{ Process = $process; ProcessGroupId = $pgid; OutputPath = $OutputPath; Drains = $drains; Files = $files }
}

function Get-ProcessGroupId([int] $ProcessId) {
    # /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so split after the last ')'.
    # Right after the fork the child may not have called setsid() yet: wait until it has (or exited).
    $deadline = [DateTime]::UtcNow.AddSeconds(5)
    while ($true) {
        try { $stat = [System.IO.File]::ReadAllText("/proc/$ProcessId/stat") } catch { return $null }
        $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
        $pgid = [int]$fields[2]
        if ($pgid -eq $ProcessId -or [DateTime]::UtcNow -gt $deadline) { return $pgid }
        Start-Sleep -Milliseconds 10
    }
}

function Stop-DetachedPwsh {
    # SIGKILL to the child's whole process group, then wait until it is gone.
    param([Parameter(Mandatory)] $Child)
    $p = $Child.Process
    if (-not $p.HasExited) {
        & kill -KILL -- "-$($Child.ProcessGroupId)" 2>$null
        if (-not $p.WaitForExit(10000)) { $p.Kill($true) }
    }
    $p.WaitForExit()
    Complete-DetachedPwsh $Child
}

function Wait-DetachedPwsh {
    # Waits for the child to end by itself; returns its exit code (kills it and throws on timeout).
    param([Parameter(Mandatory)] $Child, [int] $TimeoutSec = 300)
    if (-not $Child.Process.WaitForExit($TimeoutSec * 1000)) {
        Stop-DetachedPwsh $Child
        throw "The child pwsh did not finish within $TimeoutSec s."
    }
    $Child.Process.WaitForExit()
    $code = $Child.Process.ExitCode
    Complete-DetachedPwsh $Child
    $code
}

function Complete-DetachedPwsh($Child) {
    foreach ($t in $Child.Drains) { try { $t.Wait(5000) | Out-Null } catch { } }
    foreach ($f in $Child.Files) { $f.Dispose() }
}

function Get-DetachedPwshOutput {
    param([Parameter(Mandatory)] $Child)
    if (-not $Child.OutputPath) { return '' }
    $text = foreach ($p in $Child.OutputPath, "$($Child.OutputPath).stderr") {
        if (Test-Path -LiteralPath $p) { Get-Content -LiteralPath $p -Raw }
    }
    ($text -join "`n").Trim()
}
