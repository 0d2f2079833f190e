// A chunk receiver written to the product brief's description, as many teams run one: one multipart POST per chunk
// with the fields file, chunk, md5, total_chunks and filename; `200 ok` (plain text) for success; then
// POST <url>/merge?filename=<name> joins the chunks. No status call, no upload id: chunks are kept by file name.
// It checks what such a server would (the md5 of each chunk, every chunk present at merge) and nothing more.
// Usage: node seed-receiver.cjs [--port 0] [--dir DIR] [--log] [--delay-ms N] [--fail-post N]
//                               [--fields chunk=index,file=blob,...] [--base 0|1] [--merge-path merge]
//                               [--stdin-lifeline] [--max-lifetime-sec 1800]
//   --fields         the wire names of the five fields (a server with other names, for -ChunkApiFields).
//   --base           the number of the first chunk (0 as in the brief, or 1).
//   --merge-path     the merge call's path below the upload URL (default merge).
//   --log            one line per answered request on stdout: LOG <method> <path> <status> chunk=<n or -> name=<filename or ->
//   --delay-ms N     wait N ms before handling each chunk POST (a throttle, so an upload can be killed midway).
//   --fail-post N    answer 500 to the N-th chunk POST (1-based) after reading its body, storing nothing.
//   --basic U:P      every request needs `Authorization: Basic base64(U:P)` and the header X-Api-Key: k (as many
//                    team servers want one or the other); otherwise 401, and nothing is stored.
// Storage: <dir>/chunks/<filename>/<n> for chunks, <dir>/files/<filename> for merged files.
// Prints "READY http://127.0.0.1:<port>/upload dir=<dir> pid=<pid>" when listening; ends as peer-lifecycle.cjs says.
'use strict';
const express = require('express');
const multipart = require('connect-multiparty');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { start } = require('./peer-lifecycle.cjs');

const { opt, port, dir, logRequests, delayMs, failPost } = start('rt-seed-');
const names = { file: 'file', chunk: 'chunk', md5: 'md5', total_chunks: 'total_chunks', filename: 'filename' };
for (const pair of (opt('fields', '') || '').split(',').filter(Boolean)) {
  const [k, v] = pair.split('=');
  names[k] = v;
}
const base = Number(opt('base', 0));
const mergePath = opt('merge-path', 'merge');
const basic = opt('basic') ? 'Basic ' + Buffer.from(opt('basic'), 'utf8').toString('base64') : null;
const upload = path.join(dir, 'incoming');
for (const d of ['chunks', 'files', 'incoming']) fs.mkdirSync(path.join(dir, d), { recursive: true });
let posts = 0;

// A plain file name only: the receiver must not let a name choose a directory.
const safe = (name) => typeof name === 'string' && /^[A-Za-z0-9._ -]{1,200}$/.test(name) && name !== '.' && name !== '..';
const answer = (res, status, text) => res.status(status).type('text/plain').send(text);

const app = express();
app.use((req, res, next) => {
  res.on('finish', () => {
    if (!logRequests) return;
    const b = req.body || {};
    console.log(`LOG ${req.method} ${req.path} ${res.statusCode} chunk=${b[names.chunk] ?? '-'} name=${b[names.filename] ?? req.query.filename ?? '-'}`);
  });
  next();
});

app.use((req, res, next) => {
  if (!basic || (req.headers.authorization === basic && req.headers['x-api-key'] === 'k')) return next();
  req.resume();
  req.on('end', () => res.status(401).set('WWW-Authenticate', 'Basic realm="seed"').type('text/plain').send('unauthorized'));
});

app.post('/upload/' + mergePath, (req, res) => {
  const name = req.query.filename;
  if (!safe(name)) return answer(res, 400, 'bad filename');
  const folder = path.join(dir, 'chunks', name);
  const meta = path.join(folder, 'total');
  if (!fs.existsSync(meta)) return answer(res, 404, 'no such upload');
  const total = Number(fs.readFileSync(meta, 'utf8'));
  const parts = [];
  for (let n = base; n < base + total; n++) {
    const p = path.join(folder, String(n));
    if (!fs.existsSync(p)) return answer(res, 400, `chunk ${n} missing`);
    parts.push(p);
  }
  const target = path.join(dir, 'files', name);
  const temporary = target + '.tmp';
  fs.writeFileSync(temporary, Buffer.alloc(0));
  for (const p of parts) fs.appendFileSync(temporary, fs.readFileSync(p));
  fs.renameSync(temporary, target);
  fs.rmSync(folder, { recursive: true, force: true });
  answer(res, 200, 'ok');
});

app.post('/upload', (req, res, next) => {
  posts++;
  if (posts === failPost) {
    req.resume();
    req.on('end', () => answer(res, 500, 'injected failure'));
    return;
  }
  if (delayMs > 0) setTimeout(next, delayMs); else next();
}, multipart({ uploadDir: upload }), (req, res) => {
  const b = req.body || {};
  const file = req.files && req.files[names.file];
  const name = b[names.filename];
  const total = Number(b[names.total_chunks]);
  const chunk = Number(b[names.chunk]);
  if (!file || !safe(name) || !Number.isInteger(total) || total < 1 || !Number.isInteger(chunk) || chunk < base || chunk >= base + total) {
    if (file) fs.rmSync(file.path, { force: true });
    return answer(res, 400, 'bad request');
  }
  const bytes = fs.readFileSync(file.path);
  fs.rmSync(file.path, { force: true });
  if (b[names.md5] !== undefined && crypto.createHash('md5').update(bytes).digest('hex') !== String(b[names.md5]).toLowerCase()) {
    return answer(res, 400, 'md5 mismatch');
  }
  const folder = path.join(dir, 'chunks', name);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'total'), String(total));
  const p = path.join(folder, String(chunk));
  fs.writeFileSync(p + '.tmp', bytes);
  fs.renameSync(p + '.tmp', p);
  answer(res, 200, 'ok');
});

const srv = app.listen(port, '127.0.0.1', () => {
  console.log(`READY http://127.0.0.1:${srv.address().port}/upload dir=${dir} pid=${process.pid}`);
});
