// Reference tus client for the benchmark: uploads one file with tus-js-client 4.3.1 (from tests/peers).
// Usage: node tus-js-upload.cjs <endpoint> <file> <chunkSizeBytes>
const path = require('node:path');
const fs = require('node:fs');
const tus = require(path.join(__dirname, '../tests/peers/node_modules/tus-js-client'));

const [endpoint, file, chunkSize] = process.argv.slice(2);
const size = fs.statSync(file).size;
const upload = new tus.Upload(fs.createReadStream(file), {
  endpoint,
  uploadSize: size,
  chunkSize: Number(chunkSize),
  retryDelays: [0, 1000, 3000],
  metadata: { filename: path.basename(file) },
  onError: (err) => { console.error(err.message); process.exit(1); },
  onSuccess: () => process.exit(0),
});
upload.start();
