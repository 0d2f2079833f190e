// tus 1.0 test peer: @tus/server 2.4.5 + @tus/file-store 2.1.1 at /files on 127.0.0.1.
// Usage: node tus-server.mjs [--port 0] [--dir DIR] [--expire-ms N] [--max-size BYTES]
//                            [--checksum] [--reject-checksums N] [--log] [--delay-ms N] [--basic USER:PASS]
//                            [--stdin-lifeline] [--max-lifetime-sec 1800]
//   --port 0              an ephemeral port; the READY line says which.
//   --dir DIR             where @tus/file-store keeps uploads (file <id> = the bytes); default a temp dir
//                         that is removed again on exit.
//   --checksum            the project's own checksum layer in front of @tus/server (which has no checksum
//                         extension): OPTIONS lists `checksum` and Tus-Checksum-Algorithm: sha1, and a PATCH
//                         with Upload-Checksum is buffered, verified (460 on mismatch) and only then stored.
//   --reject-checksums N  (with --checksum) answer 460 to the first N PATCHes that carry a checksum, as if
//                         their bytes had been damaged on the way.
//   --log                 one line per answered request on stdout:
//                         LOG <method> <path> <status> tus=<Tus-Resumable or -> req-offset=<n|-> res-offset=<n|->
//                             checksum=<Upload-Checksum or ->
//   --delay-ms N          wait N ms before handling each PATCH (its body waits in the socket): a throttle, so an
//                         upload lasts long enough to be killed in the middle.
//   --basic USER:PASS     every request needs `Authorization: Basic base64(USER:PASS)`; without it (or with other
//                         credentials) 401 with WWW-Authenticate, and nothing is stored or changed.
//   --stdin-lifeline      exit when stdin closes (a test fixture keeps a pipe open: if the runner dies, so does this).
// Prints "READY <endpoint> dir=<dir> pid=<pid>" when listening. Exits on SIGTERM/SIGINT, after
// --max-lifetime-sec, and with --stdin-lifeline when stdin closes.
import { Server, EVENTS } from '@tus/server';
import { FileStore } from '@tus/file-store';
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf('--' + name); return i >= 0 ? args[i + 1] : dflt; };
const flag = (name) => args.includes('--' + name);
const host = '127.0.0.1';
const port = Number(opt('port', process.env.TUS_PORT || 0));
const givenDir = opt('dir', process.env.TUS_DIR);
const dir = givenDir || fs.mkdtempSync(path.join(os.tmpdir(), 'tus-files-'));
fs.mkdirSync(dir, { recursive: true });
const checksum = flag('checksum');
let rejectChecksums = Number(opt('reject-checksums', 0));
const logRequests = flag('log');
const maxLifetimeSec = Number(opt('max-lifetime-sec', 1800));
const delayMs = Number(opt('delay-ms', 0));
const basic = opt('basic') ? 'Basic ' + Buffer.from(opt('basic'), 'utf8').toString('base64') : null;

const tus = new Server({
  path: '/files',
  datastore: new FileStore({ directory: dir, expirationPeriodInMilliseconds: Number(opt('expire-ms', 0)) }),
  ...(opt('max-size') ? { maxSize: Number(opt('max-size')) } : {}),
});
if (process.env.TUS_LOG) {
  tus.on(EVENTS.POST_CREATE, (req, upload) => console.log('create', upload.id, upload.size));
}

const log = (req, status, resOffset) => {
  if (!logRequests) return;
  const h = (n) => req.headers[n] ?? '-';
  console.log(`LOG ${req.method} ${req.url} ${status} tus=${h('tus-resumable')} req-offset=${h('upload-offset')} res-offset=${resOffset ?? '-'} checksum=${h('upload-checksum')}`);
};

// Plain requests go to @tus/server untouched (a cut-off PATCH stores what arrived, as in production).
// @tus/server hands its headers to writeHead (raw: an object, [k, v] pairs or a flat list), not to setHeader.
const headerIn = (headers, name) => {
  if (!headers || typeof headers !== 'object') return undefined;
  if (!Array.isArray(headers)) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    return key === undefined ? undefined : headers[key];
  }
  const pairs = Array.isArray(headers[0]) ? headers : headers.flatMap((x, i) => (i % 2 ? [] : [[x, headers[i + 1]]]));
  return pairs.find(([k]) => String(k).toLowerCase() === name)?.[1];
};

const plain = (req, res) => {
  let resOffset;
  const writeHead = res.writeHead;
  res.writeHead = function (...a) {
    resOffset = headerIn(a[a.length - 1], 'upload-offset');
    return writeHead.apply(this, a);
  };
  res.on('finish', () => log(req, res.statusCode, resOffset ?? res.getHeader('upload-offset')));
  return tus.handle(req, res);
};

const readBody = (req) => new Promise((resolve, reject) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => resolve(Buffer.concat(parts)));
  req.on('error', reject);
});

const toWebRequest = (req, body) => new Request(`http://${host}${req.url}`, {
  method: req.method,
  headers: Object.entries(req.headers).flatMap(([k, v]) => Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]]),
  body: body && body.length ? body : (req.method === 'PATCH' ? new Uint8Array(0) : undefined),
  duplex: 'half',
});

const sendWeb = async (req, res, response) => {
  const headers = {};
  response.headers.forEach((v, k) => { headers[k] = v; });
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, headers);
  res.end(body);
  log(req, response.status, response.headers.get('upload-offset'));
};

const withChecksum = async (req, res) => {
  if (req.method === 'OPTIONS') {
    const response = await tus.handleWeb(toWebRequest(req));
    const ext = response.headers.get('tus-extension');
    response.headers.set('Tus-Extension', ext ? `${ext},checksum` : 'checksum');
    response.headers.set('Tus-Checksum-Algorithm', 'sha1');
    return sendWeb(req, res, response);
  }
  const given = req.headers['upload-checksum'];
  if (req.method !== 'PATCH' || !given) return plain(req, res);
  const body = await readBody(req);
  const [algorithm, expected] = String(given).split(' ');
  const fail = (status, text) => {
    res.writeHead(status, { 'Tus-Resumable': '1.0.0', 'Content-Type': 'text/plain' });
    res.end(text);
    log(req, status);
  };
  if (algorithm !== 'sha1') return fail(400, `unsupported checksum algorithm ${algorithm}\n`);
  const actual = crypto.createHash('sha1').update(body).digest('base64');
  if (actual !== expected) return fail(460, 'Checksum Mismatch\n');
  if (rejectChecksums > 0) { rejectChecksums--; return fail(460, 'Checksum Mismatch (injected)\n'); }
  return sendWeb(req, res, await tus.handleWeb(toWebRequest(req, body)));
};

const authorized = (req) => !basic || req.headers.authorization === basic;

const refuse = (req, res) => {
  // Logged before the answer goes out (stdout to a file is written synchronously), so a client that has its 401 finds
  // the line already in the log.
  log(req, 401);
  res.writeHead(401, { 'Tus-Resumable': '1.0.0', 'WWW-Authenticate': 'Basic realm="tus test peer"', 'Content-Type': 'text/plain' });
  res.end('Unauthorized\n');
};

const delay = (req) => (delayMs > 0 && req.method === 'PATCH' ? new Promise((r) => setTimeout(r, delayMs)) : Promise.resolve());

const srv = http.createServer((req, res) => {
  const handle = !authorized(req) ? refuse : checksum ? withChecksum : plain;
  Promise.resolve(delay(req)).then(() => handle(req, res)).catch((err) => {
    console.error(err);
    if (!res.headersSent) { res.writeHead(500); }
    res.end();
  });
});
srv.listen({ host, port }, () => {
  console.log(`READY http://${host}:${srv.address().port}/files dir=${dir} pid=${process.pid}`);
});

const stop = () => { if (!givenDir) fs.rmSync(dir, { recursive: true, force: true }); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (flag('stdin-lifeline')) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
setTimeout(stop, maxLifetimeSec * 1000).unref();
