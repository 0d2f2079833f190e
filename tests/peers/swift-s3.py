#!/usr/bin/python3
"""Single-node OpenStack Swift with the s3api middleware, on loopback, for S3 multipart tests.

Debian package: python3-swift (bookworm: 2.30.1).  Run with Debian's /usr/bin/python3, not a pyenv python.
Usage:  /usr/bin/python3 swift-s3.py [--dir DIR] [--port 8080|0] [--backend-port-base 6210|0] [--bucket B]
                                   [--stdin-lifeline] [--max-lifetime-sec 1800] [--delay-ms N] [--get-rate BYTES] [--log-gets]
  (0 = let the kernel pick free ports; the READY line tells the proxy port)
  - builds 1-replica account/container/object rings under DIR (a temp dir by default),
  - starts object (base), container (base+1), account (base+2) and proxy (--port) servers as child
    processes (they die with this launcher: PR_SET_PDEATHSIG),
  - --bucket: create this bucket once the proxy answers (needs /usr/bin/python3 only: plain SigV2 PUT),
  - S3 endpoint: http://127.0.0.1:PORT, path-style, region us-east-1,
    access key 'test:tester', secret 'testing' (tempauth), SigV4 or SigV2,
  - prints 'READY http://127.0.0.1:PORT' when the proxy answers; SIGTERM/SIGINT stops the children
    and removes DIR if it was a temp dir; so do --max-lifetime-sec and, with --stdin-lifeline, the
    closing of stdin (a test fixture holds a pipe: when the test runner dies, Swift goes with it).
  - --delay-ms N: the proxy waits N ms before it handles each S3 UploadPart (PUT ?partNumber=; the part's body
    waits in the socket): a throttle, so an upload lasts long enough to be killed in the middle.
  - --get-rate BYTES: each S3 GetObject's body is sent at most at this rate (per request, like a store that caps
    each connection), so a download lasts long enough to be killed in the middle.
  - --log-gets: the proxy prints 'GET /bucket/key range=<Range> if-match=<If-Match>' for each GetObject it receives.
  - started again on an existing DIR, it serves the same data on the same ports (the ports options are
    then ignored): a server restart.
Nothing is written outside DIR (swift.conf is read from DIR via set_swift_dir).
"""
import os, sys, signal, subprocess, tempfile, time, shutil, socket, argparse

HERE = os.path.abspath(__file__)


def serve(swift_dir, conf, section):
    # child mode: one Swift WSGI server, in this process (workers = 0)
    from swift.common import utils
    utils.set_swift_dir(swift_dir)
    delay = float(os.environ.get('SWIFT_S3_PART_DELAY_MS') or 0) / 1000
    if delay > 0 and section == 'proxy-server':
        throttle_part_uploads(delay)
    rate = float(os.environ.get('SWIFT_S3_GET_RATE') or 0)
    log_gets = bool(os.environ.get('SWIFT_S3_LOG_GETS'))
    if (rate > 0 or log_gets) and section == 'proxy-server':
        watch_object_gets(rate, log_gets)
    from swift.common.wsgi import run_wsgi
    sys.exit(run_wsgi(conf, section, verbose=bool(os.environ.get('SWIFT_VERBOSE'))))


def throttle_part_uploads(delay):
    # --delay-ms: every S3 UploadPart waits before s3api handles it (eventlet.sleep: the other requests go on).
    import eventlet
    from swift.common.middleware.s3api.s3api import S3ApiMiddleware
    handle = S3ApiMiddleware.__call__

    def delayed(self, env, start_response):
        if env.get('REQUEST_METHOD') == 'PUT' and 'partNumber=' in env.get('QUERY_STRING', ''):
            eventlet.sleep(delay)
        return handle(self, env, start_response)
    S3ApiMiddleware.__call__ = delayed


def watch_object_gets(rate, log_gets):
    # --get-rate / --log-gets: an object GET (path /bucket/key, no query) is logged and its body throttled.
    # run_wsgi points fds 0-2 at /dev/null (capture_stdio): the log goes to a copy of stdout made before that.
    import eventlet
    log_fd = os.dup(1) if log_gets else None
    from swift.common.middleware.s3api.s3api import S3ApiMiddleware
    handle = S3ApiMiddleware.__call__

    def watched(self, env, start_response):
        path = env.get('PATH_INFO', '')
        is_get = (env.get('REQUEST_METHOD') == 'GET' and not env.get('QUERY_STRING')
                  and path.strip('/').count('/') >= 1)
        if not is_get:
            return handle(self, env, start_response)
        if log_gets:
            line = f"GET {path} range={env.get('HTTP_RANGE', '-')} if-match={env.get('HTTP_IF_MATCH', '-')}\n"
            os.write(log_fd, line.encode('utf-8', 'replace'))
        result = handle(self, env, start_response)
        if rate <= 0:
            return result

        def throttled():
            try:
                for chunk in result:
                    while chunk:
                        piece, chunk = chunk[:16384], chunk[16384:]
                        yield piece
                        eventlet.sleep(len(piece) / rate)
            finally:
                close = getattr(result, 'close', None)
                if close:
                    close()
        return throttled()
    S3ApiMiddleware.__call__ = watched


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def build(d, port, ports):
    po, pc, pa = ports
    dev = os.path.join(d, 'srv', 'sdb1')
    os.makedirs(dev, exist_ok=True)
    write(os.path.join(d, 'swift.conf'), """[swift-hash]
swift_hash_path_suffix = upload-peers-suffix
swift_hash_path_prefix = upload-peers-prefix
[storage-policy:0]
name = Policy-0
default = yes
[swift-constraints]
max_file_size = 5368709122
""")
    common = f"""[DEFAULT]
devices = {d}/srv
mount_check = false
swift_dir = {d}
bind_ip = 127.0.0.1
workers = 0
log_name = %s
log_level = WARNING
"""
    for name, p in (('account', pa), ('container', pc), ('object', po)):
        write(os.path.join(d, f'{name}-server.conf'), (common % name) + f"""bind_port = {p}
[pipeline:main]
pipeline = {name}-server
[app:{name}-server]
use = egg:swift#{name}
""" + ("[object-updater]\n[object-replicator]\n[object-auditor]\n" if name == 'object' else
       f"[{name}-replicator]\n[{name}-updater]\n[{name}-auditor]\n"))
    write(os.path.join(d, 'proxy-server.conf'), (common % 'proxy') + f"""bind_port = {port}
[pipeline:main]
pipeline = catch_errors gatekeeper proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false
force_swift_request_proxy_log = false
min_segment_size = 5242880
max_upload_part_num = 10000
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:11211
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
min_segment_size = 1
[filter:dlo]
use = egg:swift#dlo
""")
    from swift.cli.ringbuilder import main as rb
    for name, p in (('account', pa), ('container', pc), ('object', po)):
        b = os.path.join(d, f'{name}.builder')
        for a in (['create', '6', '1', '1'], ['add', f'r1z1-127.0.0.1:{p}/sdb1', '1'], ['rebalance']):
            try:
                rb(['swift-ring-builder', b] + a)
            except SystemExit as e:
                if e.code not in (0, None, 1):   # 1 = warning (e.g. balance) is fine
                    raise


def die_with_parent():
    import ctypes
    ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


def create_bucket(port, bucket, key='test:tester', secret='testing'):
    # S3 PUT Bucket with a SigV2 signature (stdlib only)
    import hmac, hashlib, base64, http.client
    from email.utils import formatdate
    date = formatdate(usegmt=True)
    sig = base64.b64encode(hmac.new(secret.encode(), f'PUT\n\n\n{date}\n/{bucket}'.encode(),
                                    hashlib.sha1).digest()).decode()
    for _ in range(50):
        try:
            c = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
            c.request('PUT', f'/{bucket}', headers={'Date': date, 'Authorization': f'AWS {key}:{sig}',
                                                   'Content-Length': '0'})
            r = c.getresponse(); r.read()
            if r.status in (200, 409):
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f'could not create bucket {bucket}')


def free_ports(n):
    # ask the kernel for n distinct free loopback ports (closed again at once; small race accepted)
    socks, ports = [], []
    for _ in range(n):
        so = socket.socket(); so.bind(('127.0.0.1', 0)); socks.append(so); ports.append(so.getsockname()[1])
    for so in socks:
        so.close()
    return ports


def configured_ports(d):
    # ((object, container, account), proxy) as written into DIR's configs by build()
    def bind_port(name):
        with open(os.path.join(d, f'{name}-server.conf')) as f:
            for line in f:
                if line.startswith('bind_port'):
                    return int(line.split('=')[1])
        raise SystemExit(f'no bind_port in {name}-server.conf')
    return (bind_port('object'), bind_port('container'), bind_port('account')), bind_port('proxy')


def port_free(port):
    so = socket.socket()
    try:
        so.bind(('127.0.0.1', port)); return True
    except OSError:
        return False
    finally:
        so.close()


def proxy_is_swift(port):
    # readiness = the proxy itself answers (a port that merely accepts could be someone else's server)
    import http.client
    try:
        c = http.client.HTTPConnection('127.0.0.1', port, timeout=2)
        c.request('GET', '/'); r = c.getresponse(); r.read()
        return r.getheader('X-Trans-Id') is not None or r.getheader('x-amz-request-id') is not None
    except OSError:
        return False


def wait_port(port, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(('127.0.0.1', port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--serve':
        return serve(*sys.argv[2:5])
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir')
    ap.add_argument('--port', type=int, default=8080)
    ap.add_argument('--backend-port-base', type=int, default=6210)
    ap.add_argument('--bucket')
    ap.add_argument('--stdin-lifeline', action='store_true')
    ap.add_argument('--max-lifetime-sec', type=float, default=1800)
    ap.add_argument('--delay-ms', type=float, default=0)
    ap.add_argument('--get-rate', type=float, default=0)
    ap.add_argument('--log-gets', action='store_true')
    a = ap.parse_args()
    tmp = a.dir is None
    d = a.dir or tempfile.mkdtemp(prefix='swift-s3-')
    os.makedirs(d, exist_ok=True)
    if a.port == 0 or a.backend_port_base == 0:        # pick free ports (object, container, account, proxy)
        o, c, acc, px = free_ports(4)
        if a.port == 0:
            a.port = px
        if a.backend_port_base == 0:
            ports = (o, c, acc)
        else:
            ports = (a.backend_port_base, a.backend_port_base + 1, a.backend_port_base + 2)
    else:
        ports = (a.backend_port_base, a.backend_port_base + 1, a.backend_port_base + 2)
    a.ports = ports
    if os.path.exists(os.path.join(d, 'object.ring.gz')):
        # A restart on an existing DIR (a "server restarted mid-upload" test): the rings and configs fix the ports.
        a.ports, a.port = configured_ports(d)
    else:
        busy = [p for p in ports + (a.port,) if not port_free(p)]
        if busy:
            print(f'ports already in use on 127.0.0.1: {busy}', file=sys.stderr)
            if tmp:
                shutil.rmtree(d, ignore_errors=True)
            sys.exit(2)
        build(d, a.port, ports)
    kids = []

    def stop(*_):
        for k in kids:
            if k.poll() is None:
                k.terminate()
        for k in kids:
            try:
                k.wait(5)
            except subprocess.TimeoutExpired:
                k.kill()
        if tmp:
            shutil.rmtree(d, ignore_errors=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if a.stdin_lifeline:
        import threading

        def lifeline():
            while sys.stdin.buffer.read(4096):
                pass
            os.kill(os.getpid(), signal.SIGTERM)
        threading.Thread(target=lifeline, daemon=True).start()
    deadline = time.time() + a.max_lifetime_sec
    if a.delay_ms > 0:
        os.environ['SWIFT_S3_PART_DELAY_MS'] = str(a.delay_ms)   # read by the proxy child (serve)
    if a.get_rate > 0:
        os.environ['SWIFT_S3_GET_RATE'] = str(a.get_rate)
    if a.log_gets:
        os.environ['SWIFT_S3_LOG_GETS'] = '1'
    for name in ('account', 'container', 'object', 'proxy'):
        kids.append(subprocess.Popen([sys.executable, HERE, '--serve', d,
                                      os.path.join(d, f'{name}-server.conf'), f'{name}-server'],
                                     preexec_fn=die_with_parent))
    for p in a.ports + (a.port,):
        if not wait_port(p):
            print(f'port {p} did not open', file=sys.stderr)
            stop()
    end = time.time() + 30
    while not proxy_is_swift(a.port):
        if time.time() > end or any(k.poll() is not None for k in kids):
            print(f'proxy on {a.port} is not answering as Swift', file=sys.stderr)
            stop()
        time.sleep(0.1)
    if a.bucket:
        create_bucket(a.port, a.bucket)
    print(f'READY http://127.0.0.1:{a.port} dir={d} pid={os.getpid()} children={[k.pid for k in kids]}', flush=True)
    while True:
        if time.time() > deadline:
            print('max lifetime reached', file=sys.stderr)
            stop()
        for k in kids:
            if k.poll() is not None:
                print(f'child {k.pid} exited with {k.returncode}', file=sys.stderr)
                stop()
        time.sleep(0.5)


if __name__ == '__main__':
    main()
