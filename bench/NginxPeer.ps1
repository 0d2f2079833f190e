# Starts nginx on 127.0.0.1 (ephemeral port chosen by asking the kernel for a free one) serving a directory,
# with one server block per requested per-connection rate cap. Everything (config, pid, logs, temp) lives in
# a private prefix directory, so it never touches the system's nginx. Stop it with Stop-NginxPeer.

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Start-NginxPeer {
    param(
        [Parameter(Mandatory)] [string] $Root,
        # Per-connection caps, e.g. @('', '20m'): one server for each ('' = no cap).
        [string[]] $LimitRates = @('')
    )
    $nginx = (Get-Command nginx -ErrorAction SilentlyContinue).Source
    if (-not $nginx) { $nginx = '/usr/sbin/nginx' }
    if (-not (Test-Path $nginx)) { throw "nginx is not installed: apt-get install -y --no-install-recommends nginx" }
    $prefix = Join-Path ([System.IO.Path]::GetTempPath()) "rt-nginx-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
    New-Item -ItemType Directory -Path "$prefix/logs", "$prefix/tmp" -Force | Out-Null
    $servers = foreach ($rate in $LimitRates) {
        $port = Get-FreeTcpPort
        $limit = if ($rate) { "limit_rate $rate;" } else { '' }
        [pscustomobject]@{ Rate = $rate; Port = $port; BaseUri = "http://127.0.0.1:$port"; Block = @"
    server {
        listen 127.0.0.1:$port;
        root $Root;
        location / { $limit }
    }
"@ }
    }
    $conf = @"
worker_processes 2;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
daemon off;
events { worker_connections 1024; }
http {
    access_log $prefix/logs/access.log;
    log_format ranges '`$request_uri `$status `$http_range `$body_bytes_sent';
    access_log $prefix/logs/ranges.log ranges;
    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types { application/octet-stream bin; }
    default_type application/octet-stream;
$($servers.Block -join "`n")
}
"@
    Set-Content -Path "$prefix/nginx.conf" -Value $conf
    $process = Start-Process -FilePath $nginx -ArgumentList '-p', $prefix, '-c', "$prefix/nginx.conf" -PassThru `
        -RedirectStandardError "$prefix/logs/stderr.log" -RedirectStandardOutput "$prefix/logs/stdout.log"
    foreach ($s in $servers) {
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ($true) {
            try { $c = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $s.Port); $c.Dispose(); break }
            catch {
                if ($process.HasExited) { throw "nginx exited: $(Get-Content "$prefix/logs/error.log" -Raw)" }
                if ([DateTime]::UtcNow -gt $deadline) { throw "nginx did not listen on $($s.Port) within 10 s" }
                Start-Sleep -Milliseconds 50
            }
        }
    }
    [pscustomobject]@{ Prefix = $prefix; Process = $process; Servers = $servers; RangesLog = "$prefix/logs/ranges.log" }
}

function Stop-NginxPeer($Peer) {
    if (-not $Peer) { return }
    if (-not $Peer.Process.HasExited) {
        # TERM is nginx's fast shutdown; KILL only if it ignores it.
        & kill -TERM $Peer.Process.Id 2>$null
        if (-not $Peer.Process.WaitForExit(5000)) { $Peer.Process.Kill($true) }
    }
    Remove-Item -Recurse -Force $Peer.Prefix -ErrorAction SilentlyContinue
}
