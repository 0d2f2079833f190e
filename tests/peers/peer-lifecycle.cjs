// What the chunk server launchers (flow-server.cjs, seed-receiver.cjs) share: their command line, their storage
// directory, and how they end. Each one exits on SIGTERM/SIGINT, after --max-lifetime-sec, and with --stdin-lifeline
// when stdin closes (a test fixture keeps a pipe open: if the runner dies, so does the server). A storage directory
// it made itself (no --dir) is removed on exit.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function start(prefix) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => { const i = args.indexOf('--' + name); return i >= 0 ? args[i + 1] : dflt; };
  const flag = (name) => args.includes('--' + name);
  const givenDir = opt('dir');
  const dir = path.resolve(givenDir || fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  fs.mkdirSync(dir, { recursive: true });

  const stop = () => { if (!givenDir) fs.rmSync(dir, { recursive: true, force: true }); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (flag('stdin-lifeline')) {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
  setTimeout(stop, Number(opt('max-lifetime-sec', 1800)) * 1000).unref();

  return {
    opt,
    flag,
    dir,
    port: Number(opt('port', 0)),
    logRequests: flag('log'),
    delayMs: Number(opt('delay-ms', 0)),
    failPost: Number(opt('fail-post', 0)),
  };
}

module.exports = { start };
