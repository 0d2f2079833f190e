// S3 test peer: s3rver 3.7.1 (lenient S3 fake: no ListParts/Abort, 405/501) on 127.0.0.1, data in a temp dir.
// Usage: node s3rver-server.cjs [--port 0] [--dir DIR] [--bucket test-bucket] [--stdin-lifeline] [--max-lifetime-sec 1800]
//   Credentials: any well-formed SigV2/SigV4 signature with access key S3RVER / secret S3RVER.
//   Prints "READY <url> bucket=<b> dir=<dir> pid=<pid>" when listening. Exits on SIGTERM/SIGINT, after
//   --max-lifetime-sec, and with --stdin-lifeline when stdin closes; a temp dir it made is removed.
const S3rver = require('s3rver');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf('--' + name); return i >= 0 ? args[i + 1] : dflt; };
const port = Number(opt('port', process.env.S3_PORT || 0));
const bucket = opt('bucket', process.env.S3_BUCKET || 'test-bucket');
const givenDir = opt('dir', process.env.S3_DIR);
const dir = givenDir || fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
const maxLifetimeSec = Number(opt('max-lifetime-sec', 1800));

const instance = new S3rver({
  address: '127.0.0.1',
  port,
  silent: !process.env.S3_LOG,
  directory: dir,
  resetOnClose: !givenDir,
  configureBuckets: [{ name: bucket, configs: [] }],
});
instance.run().then(({ address, port }) => {
  console.log(`READY http://${address}:${port} bucket=${bucket} dir=${dir} pid=${process.pid}`);
}, (err) => { console.error(err); process.exit(1); });
const stop = async () => {
  try { await instance.close(); } catch (e) { /* already closed */ }
  if (!givenDir) fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (args.includes('--stdin-lifeline')) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
setTimeout(stop, maxLifetimeSec * 1000).unref();
