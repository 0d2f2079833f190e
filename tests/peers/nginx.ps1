# Runs a private nginx on 127.0.0.1 (a free ephemeral port) serving one directory, for tests that need a real,
# widely deployed range implementation. Everything (config, pid, logs, temp dirs) lives in a prefix directory of
# its own, so it never touches the system's nginx. Dot-source it:
#     . tests/peers/nginx.ps1
#     $nginx = Start-NginxPeer -Root $dir       # /files/<name> at full speed, /slow/<name> at -SlowRate per connection
#     Read-NginxAccessLog $nginx                # Started, Method, Uri, Status, Range, BodyBytes per request
#     Stop-NginxPeer $nginx
# nginx missing is an error, never a skip: CI installs it (apt-get install nginx).

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Get-NginxPath {
    $nginx = (Get-Command nginx -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1).Source
    if (-not $nginx -and (Test-Path /usr/sbin/nginx)) { $nginx = '/usr/sbin/nginx' }
    if (-not $nginx) { throw 'nginx is not installed. Install it: apt-get install -y --no-install-recommends nginx' }
    $nginx
}

function Start-NginxPeer {
    param(
        [Parameter(Mandatory)] [string] $Root,
        # limit_rate for /slow/ (per connection), in nginx's syntax.
        [string] $SlowRate = '2m',
        [int] $TimeoutSec = 10
    )
    $nginx = Get-NginxPath
    $Root = [System.IO.Path]::GetFullPath($Root)
    $prefix = Join-Path ([System.IO.Path]::GetTempPath()) "rt-nginx-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
    New-Item -ItemType Directory -Path "$prefix/logs", "$prefix/tmp" | Out-Null

    # The port is free when asked for, but another process could take it before nginx binds: try a few.
    for ($attempt = 1; ; $attempt++) {
        $port = Get-FreeTcpPort
        $conf = @"
daemon off;
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 256; }
http {
    log_format ranges '`$msec `$request_time `$request_method `$request_uri `$status "`$http_range" `$body_bytes_sent';
    access_log $prefix/logs/access.log ranges;
    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;
    default_type application/octet-stream;
    sendfile on;
    server {
        listen 127.0.0.1:${port};
        location /files/ { alias $Root/; }
        location /slow/ { alias $Root/; limit_rate $SlowRate; }
    }
}
"@
        Set-Content -LiteralPath "$prefix/nginx.conf" -Value $conf -Encoding utf8NoBOM
        $psi = [System.Diagnostics.ProcessStartInfo]::new($nginx)
        # -e: the error log before the config is read (the default, /var/log/nginx, may not be writable).
        foreach ($a in @('-p', "$prefix/", '-c', "$prefix/nginx.conf", '-e', "$prefix/logs/error.log")) { $psi.ArgumentList.Add($a) }
        $psi.UseShellExecute = $false
        $psi.RedirectStandardInput = $true
        $process = [System.Diagnostics.Process]::Start($psi)
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        $listening = $false
        while (-not $listening -and -not $process.HasExited -and [DateTime]::UtcNow -lt $deadline) {
            try { [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port).Dispose(); $listening = $true }
            catch { Start-Sleep -Milliseconds 50 }
        }
        if ($listening) { break }
        $errorLog = if (Test-Path "$prefix/logs/error.log") { Get-Content -Raw "$prefix/logs/error.log" } else { '' }
        if (-not $process.HasExited) { $process.Kill($true) }
        $process.WaitForExit()
        if ($attempt -ge 3 -or $errorLog -notmatch 'Address already in use') {
            Remove-Item -LiteralPath $prefix -Recurse -Force -ErrorAction SilentlyContinue
            throw "nginx did not start (exit code $(if ($process.HasExited) { $process.ExitCode })): $errorLog"
        }
    }
    [pscustomobject]@{
        PSTypeName = 'ResumeTransfer.NginxPeer'
        Process    = $process
        BaseUri    = "http://127.0.0.1:$port"
        Prefix     = $prefix
        AccessLog  = "$prefix/logs/access.log"
        ErrorLog   = "$prefix/logs/error.log"
    }
}

function Read-NginxAccessLog {
    # nginx writes a request's line when the request ends (aborted ones too, with the bytes actually sent), so
    # lines are in order of completion; Started (Unix seconds) says when each request began.
    param([Parameter(Mandatory)] $Peer)
    if (-not (Test-Path -LiteralPath $Peer.AccessLog)) { return @() }
    $invariant = [System.Globalization.CultureInfo]::InvariantCulture
    foreach ($line in [System.IO.File]::ReadAllLines($Peer.AccessLog)) {
        if ($line -match '^(\S+) (\S+) (\S+) (\S+) (\d{3}) "([^"]*)" (\d+)$') {
            [pscustomobject]@{
                Started   = [double]::Parse($Matches[1], $invariant) - [double]::Parse($Matches[2], $invariant)
                Method    = $Matches[3]
                Uri       = $Matches[4]
                Status    = [int]$Matches[5]
                Range     = if ($Matches[6] -eq '-') { $null } else { $Matches[6] }
                BodyBytes = [long]$Matches[7]
            }
        }
    }
}

function Stop-NginxPeer {
    param($Peer)
    if (-not $Peer) { return }
    $p = $Peer.Process
    if (-not $p.HasExited) {
        # TERM is nginx's fast shutdown (the master stops its workers); KILL the tree only if it hangs.
        & kill -TERM $p.Id 2>$null
        if (-not $p.WaitForExit(5000)) { $p.Kill($true) }
    }
    $p.WaitForExit()
    $p.Dispose()
    Remove-Item -LiteralPath $Peer.Prefix -Recurse -Force -ErrorAction SilentlyContinue
}
