// The flow.js project's own Node.js sample server (@flowjs/flow.js 2.14.1, samples/Node.js) as a test peer.
// flow-sample/ holds a copy of its app.js and flow-node.js with ONE line changed (diff it against
// node_modules/@flowjs/flow.js/samples/Node.js): as shipped, `res.status(status)` gets the string 'partly_done' or
// 'done', which throws on Node 20 and kills the server at the first chunk; the copy answers 200 for partly_done/done
// and 500 otherwise, as the sample's later versions do. Everything else is the sample as shipped (express 4,
// connect-multiparty 2, chunks in <dir>/tmp/flow-<identifier>.<n>, GET /download/<identifier> streams the file).
// This launcher only wraps it: it runs the sample in <dir> (its 'tmp' folder is relative), makes its
// app.listen(3000) listen on 127.0.0.1:<port> instead, and hooks the HTTP server's requests for the test options.
// Usage: node flow-server.cjs [--port 0] [--dir DIR] [--log] [--delay-ms N] [--fail-post N]
//                             [--stdin-lifeline] [--max-lifetime-sec 1800]
//   --log            one line per answered request on stdout:
//                    LOG <method> <path> <status> chunk=<flowChunkNumber or -> id=<flowIdentifier or ->
//   --delay-ms N     wait N ms before handling each POST: a throttle, so an upload can be killed in the middle.
//   --fail-post N    answer 500 to the N-th POST (1-based) after reading its body, storing nothing.
//   --get-always-200 answer every GET /upload with 200 (a server whose test call cannot say "not held").
// Prints "READY http://127.0.0.1:<port>/upload dir=<dir> pid=<pid>" when listening; ends as peer-lifecycle.cjs says.
'use strict';
const http = require('node:http');
const { start } = require('./peer-lifecycle.cjs');

const { flag, port, dir, logRequests, delayMs, failPost } = start('rt-flow-');
const getAlways200 = flag('get-always-200');
let posts = 0;

const field = (req, name) => (req.body && req.body[name]) || (req.query && req.query[name]) || '-';
const log = (req, res) => {
  if (logRequests) console.log(`LOG ${req.method} ${req.url.split('?')[0]} ${res.statusCode} chunk=${field(req, 'flowChunkNumber')} id=${field(req, 'flowIdentifier')}`);
};

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res) {
  if (event !== 'request') return emit.apply(this, arguments);
  res.on('finish', () => log(req, res));
  const server = this;
  const call = () => emit.call(server, event, req, res);
  if (getAlways200 && req.method === 'GET' && req.url.startsWith('/upload?')) {
    req.query = Object.fromEntries(new URL(req.url, 'http://x').searchParams);
    res.statusCode = 200;
    res.end();
    return true;
  }
  if (req.method !== 'POST') return call();
  posts++;
  if (posts === failPost) {
    req.resume();
    req.on('end', () => { res.statusCode = 500; res.end('injected failure\n'); });
    return true;
  }
  if (delayMs > 0) { setTimeout(call, delayMs); return true; }
  return call();
};

http.Server.prototype.listen = (function (listen) {
  return function () {
    const server = this;
    return listen.call(server, port, '127.0.0.1', () => {
      console.log(`READY http://127.0.0.1:${server.address().port}/upload dir=${dir} pid=${process.pid}`);
    });
  };
})(http.Server.prototype.listen);

process.chdir(dir);
require('./flow-sample/app.js');
