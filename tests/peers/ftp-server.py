#!/usr/bin/python3
"""An FTP/FTPS server on loopback for the download tests: Debian's python3-pyftpdlib (1.5.7) and python3-openssl.

Run with Debian's /usr/bin/python3, not a pyenv python.
Usage:  /usr/bin/python3 ftp-server.py [--dir DIR] [--port 0] [--tls [--tls12]] [--require-tls-reuse] [--user NAME:PASSWORD]
                                       [--no-anonymous] [--max-logins N] [--max-cons-per-ip N] [--no-rest] [--no-size] [--rest-busy-once]
                                       [--hash] [--rate BYTES_PER_SEC] [--cut-after BYTES [--change-on-cut]] [--stall-after BYTES]
                                       [--log-file FILE] [--sendfile]
                                       [--stdin-lifeline] [--max-lifetime-sec 1800]
  - serves DIR (a temp dir by default, removed at exit) read-only to anonymous and, with --user, to that user;
  - --tls: explicit FTPS (AUTH TLS, PBSZ, PROT P) with a certificate made at start (CN localhost, SAN localhost and
    127.0.0.1) in DIR/../; its path is printed as cert=...; --require-tls-reuse refuses (425, as FileZilla Server and
    vsftpd's require_ssl_reuse do) a data connection that does not resume a TLS session; --tls12: TLS 1.2 at most;
  - --max-logins N: a user's (N+1)th simultaneous login gets 530; --max-cons-per-ip N: pyftpdlib's 421 at connect;
  - --no-rest / --no-size: the server does not know REST / SIZE (500, and FEAT does not list them);
  - --rest-busy-once: no FEAT (so REST STREAM is not announced), and the first REST is answered 450;
  - --hash: HASH (draft-bryan-ftp-hash, SHA-256) in FEAT; --rate: bytes per second per data connection;
  - --cut-after N: the first data connection that has sent N bytes is closed (once per process); with
    --change-on-cut the file grows by 1000 bytes and gets a later modification time just before;
  - --stall-after N: the first data connection that has sent N bytes goes silent, open (once per process);
  - --sendfile: plain ftp sends with sendfile(2), as pyftpdlib does by default (benchmarks; DATA lines then say sent=0);
  - prints 'READY ftp://127.0.0.1:PORT/ dir=DIR' or 'READY ftps://localhost:PORT/ dir=DIR cert=FILE'; then one line per event, on stdout and in --log-file:
      LOG CMD <session> <command line>      (PASS as 'PASS ***')
      LOG DATA <session> sent=<bytes> rest=<offset> file=<name> complete=<0|1>
      LOG TLSDATA <session> reused=<0|1>
  - exits on SIGTERM/SIGINT, after --max-lifetime-sec, and with --stdin-lifeline when stdin closes.
"""
import argparse, hashlib, itertools, os, shutil, signal, subprocess, sys, tempfile, threading, time

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, DTPHandler, ThrottledDTPHandler, TLS_FTPHandler, TLS_DTPHandler
from pyftpdlib.servers import FTPServer
from pyftpdlib.log import config_logging
import logging

args = None
log_lock = threading.Lock()
log_file = None
sessions = itertools.count(1)
cut_done = [False]
stall_done = [False]
rest_busy_done = [False]
logins = {}


def log(line):
    with log_lock:
        sys.stdout.write('LOG ' + line + '\n')
        sys.stdout.flush()
        if log_file:
            log_file.write(line + '\n')
            log_file.flush()


class LoggingData:
    """Mixed into the data handler: counts what a RETR sends, cuts it once with --cut-after, checks TLS reuse."""

    def __init__(self, sock, cmd_channel):
        super().__init__(sock, cmd_channel)
        self.rt_sent = 0
        self.rt_logged = False
        self.rt_stalled = False

    def send(self, data):
        if self.rt_stalled:
            return 0
        sent = super().send(data)
        if sent:
            self.rt_sent += sent
            if args.cut_after and not cut_done[0] and self.rt_sent >= args.cut_after:
                cut_done[0] = True
                self.rt_log(False)
                if args.change_on_cut:
                    # The file changes while it is downloaded: 1000 bytes more, and a later modification time.
                    path = self.file_obj.name
                    with open(path, 'ab') as f:
                        f.write(os.urandom(1000))
                    stamp = os.path.getmtime(path) + 10
                    os.utime(path, (stamp, stamp))
                # An abrupt end: the socket goes without a TLS close_notify and without 226.
                self.socket.close() if not hasattr(self.socket, 'sock_shutdown') else self.socket.sock_shutdown(2)
            elif args.stall_after and not stall_done[0] and self.rt_sent >= args.stall_after:
                # Silence: the connection stays open and nothing more is sent on it.
                stall_done[0] = True
                self.rt_stalled = True
                log('STALL %s sent=%d' % (self.cmd_channel.rt_session, self.rt_sent))
                try:
                    self.ioloop.unregister(self._fileno)
                except Exception:
                    pass
        return sent

    def handle_ssl_established(self):
        from OpenSSL._util import lib
        reused = bool(lib.SSL_session_reused(self.socket._ssl))
        log('TLSDATA %s reused=%d' % (self.cmd_channel.rt_session, int(reused)))
        if args.require_tls_reuse and not reused:
            self.cmd_channel.respond('425 Unable to build data connection: TLS session of data connection not resumed.')
            self.close()

    def rt_log(self, complete):
        if not self.rt_logged and self.file_obj is not None:
            self.rt_logged = True
            name = os.path.basename(getattr(self.file_obj, 'name', '?'))
            log('DATA %s sent=%d rest=%d file=%s complete=%d' % (self.cmd_channel.rt_session, self.rt_sent, self.cmd_channel.rt_rest, name, int(complete)))

    def close(self):
        self.rt_log(self.transfer_finished)
        super().close()


class Handlers:
    """The control handler's additions, mixed into FTPHandler or TLS_FTPHandler."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.rt_session = next(sessions)
        self.rt_user = None
        self.rt_rest = 0
        if args.hash:
            self._extra_feats.append('HASH SHA-256*')

    def ftp_RETR(self, file):
        self.rt_rest = self._restart_position  # RETR resets it; the data log reports the offset it started at
        return super().ftp_RETR(file)

    def pre_process_command(self, line, cmd, arg):
        shown = 'PASS ***' if cmd == 'PASS' else line
        log('CMD %s %s' % (self.rt_session, shown))
        return super().pre_process_command(line, cmd, arg)

    def ftp_PASS(self, line):
        user = self.username
        if args.max_logins and logins.get(user, 0) >= args.max_logins:
            self.respond('530 Too many logins for this user.')
            self.username = ''
            return
        super().ftp_PASS(line)
        if self.authenticated:
            self.rt_user = user
            logins[user] = logins.get(user, 0) + 1

    def ftp_REST(self, line):
        if args.rest_busy_once and not rest_busy_done[0]:
            # A passing refusal of the first REST: a client must retry it, not conclude the server cannot resume.
            rest_busy_done[0] = True
            self.respond('450 Busy, try again.')
            return
        super().ftp_REST(line)

    def ftp_OPTS(self, line):
        if line.upper().startswith('HASH') and args.hash:
            arg = line[4:].strip().upper()
            if arg in ('', 'SHA-256'):
                self.respond('200 SHA-256')
            else:
                self.respond('501 Unknown algorithm.')
            return
        super().ftp_OPTS(line)

    def ftp_HASH(self, path):
        with open(path, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        size = os.path.getsize(path)
        self.respond('213 SHA-256 0-%d %s %s' % (max(size - 1, 0), digest, os.path.basename(path)))

    def close(self):
        if self.rt_user is not None:
            logins[self.rt_user] -= 1
            self.rt_user = None
        super().close()


def make_certificate(directory):
    cert = os.path.join(directory, 'ftp-test-cert.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
                    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:TRUE',
                    '-keyout', cert + '.key', '-out', cert], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert


def main():
    global args, log_file
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--tls', action='store_true')
    ap.add_argument('--require-tls-reuse', action='store_true')
    ap.add_argument('--tls12', action='store_true')
    ap.add_argument('--user')
    ap.add_argument('--no-anonymous', action='store_true')
    ap.add_argument('--max-logins', type=int, default=0)
    ap.add_argument('--max-cons-per-ip', type=int, default=0)
    ap.add_argument('--no-rest', action='store_true')
    ap.add_argument('--no-size', action='store_true')
    ap.add_argument('--rest-busy-once', action='store_true')
    ap.add_argument('--hash', action='store_true')
    ap.add_argument('--rate', type=int, default=0)
    ap.add_argument('--cut-after', type=int, default=0)
    ap.add_argument('--change-on-cut', action='store_true')
    ap.add_argument('--stall-after', type=int, default=0)
    ap.add_argument('--log-file')
    ap.add_argument('--sendfile', action='store_true')
    ap.add_argument('--stdin-lifeline', action='store_true')
    ap.add_argument('--max-lifetime-sec', type=float, default=1800)
    args = ap.parse_args()
    temp = tempfile.mkdtemp(prefix='rt-ftp-')
    root = os.path.abspath(args.dir) if args.dir else os.path.join(temp, 'root')
    os.makedirs(root, exist_ok=True)
    if args.log_file:
        log_file = open(args.log_file, 'a', buffering=1)
    config_logging(level=logging.ERROR)

    authorizer = DummyAuthorizer()
    if args.user:
        name, password = args.user.split(':', 1)
        authorizer.add_user(name, password, root, perm='elr')
    if not args.no_anonymous:
        authorizer.add_anonymous(root)

    base_control, base_data = (TLS_FTPHandler, TLS_DTPHandler) if args.tls else (FTPHandler, DTPHandler)
    data_bases = (LoggingData, base_data)
    if args.rate:
        data_bases = (LoggingData, base_data, ThrottledDTPHandler) if args.tls else (LoggingData, ThrottledDTPHandler)
    Data = type('Data', data_bases, {})
    if args.rate:
        Data.read_limit = 0
        Data.write_limit = args.rate
    Control = type('Control', (Handlers, base_control), {})
    Control.authorizer = authorizer
    Control.dtp_handler = Data
    Control.banner = 'ResumeTransfer test FTP server ready.'
    # Every byte through send(), so it is counted, throttled and cut; --sendfile (benchmarks) keeps the kernel's fast path
    # and logs no byte counts.
    Control.use_sendfile = args.sendfile
    Control.auth_failed_timeout = 0.1  # pyftpdlib waits 3 s before it answers a failed login
    Control.proto_cmds = dict(base_control.proto_cmds)
    if args.no_rest:
        del Control.proto_cmds['REST']
    if args.no_size:
        del Control.proto_cmds['SIZE']
    if args.rest_busy_once:
        del Control.proto_cmds['FEAT']  # no REST STREAM listed: the client must ask with REST 0
    if args.hash:
        Control.proto_cmds['HASH'] = dict(perm='r', auth=True, arg=True, help='Syntax: HASH <SP> file-name.')
    cert = None
    if args.tls:
        cert = make_certificate(temp)
        Control.certfile = cert
        Control.keyfile = cert + '.key'
        Control.tls_control_required = False
        Control.tls_data_required = False
        context = Control.get_ssl_context()
        context.set_session_id(b'rt-ftp-test')
        if args.tls12:
            from OpenSSL import SSL
            context.set_options(SSL.OP_NO_TLSv1_3)  # TLS 1.2 sessions resume many times; 1.3 tickets once

    server = FTPServer(('127.0.0.1', args.port), Control)
    if args.max_cons_per_ip:
        server.max_cons_per_ip = args.max_cons_per_ip
    port = server.socket.getsockname()[1]

    def stop(*_):
        server.close_all()
        shutil.rmtree(temp, ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Timer(args.max_lifetime_sec, stop).start()
    if args.stdin_lifeline:
        def lifeline():
            while sys.stdin.buffer.read(4096):
                pass
            stop()
        threading.Thread(target=lifeline, daemon=True).start()

    # ftps by name: .NET resumes TLS sessions (--require-tls-reuse) only to host names, never to IP addresses.
    ready = 'READY %s://%s:%d/ dir=%s' % ((('ftps', 'localhost') if args.tls else ('ftp', '127.0.0.1')) + (port, root))
    if cert:
        ready += ' cert=%s' % cert
    print(ready, flush=True)
    server.serve_forever(handle_exit=False)


if __name__ == '__main__':
    main()
