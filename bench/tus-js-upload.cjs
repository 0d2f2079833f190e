// Reference tus client for the benchmark: uploads one file with tus-js-client 4.3.1 (from tests/peers).
// Usage: node tus-js-upload.cjs <endpoint> <file> <chunkSizeBytes> [<urlStorageFile>]
//   urlStorageFile: remember the upload URL in this JSON file (tus-js-client's FileUrlStorage, keyed by the file's
//   path, size, mtime and the endpoint), and continue the upload recorded there from the server's offset: the way a
//   node program resumes after it was killed. Without it, every run is a new upload.
const path = require('node:path');
const fs = require('node:fs');
const tus = require(path.join(__dirname, '../tests/peers/node_modules/tus-js-client'));

const [endpoint, file, chunkSize, urlStorageFile] = process.argv.slice(2);
const size = fs.statSync(file).size;
const resumable = urlStorageFile ? {
  urlStorage: new tus.FileUrlStorage(urlStorageFile),
  removeFingerprintOnSuccess: true,
} : {};
let upload;
const succeeded = async () => {
  if (urlStorageFile) {
    // removeFingerprintOnSuccess starts the removal without waiting for it: exiting at once could leave the finished
    // upload in the storage file, so wait (2 s at most) until it is gone.
    for (let i = 0; i < 100 && (await upload.findPreviousUploads()).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  process.exit(0);
};
upload = new tus.Upload(fs.createReadStream(file), {
  endpoint,
  uploadSize: size,
  chunkSize: Number(chunkSize),
  retryDelays: [0, 1000, 3000],
  metadata: { filename: path.basename(file) },
  ...resumable,
  onError: (err) => { console.error(err.message); process.exit(1); },
  onSuccess: () => { succeeded().catch((err) => { console.error(err.message); process.exit(1); }); },
});
if (urlStorageFile) {
  upload.findPreviousUploads().then((previous) => {
    if (previous.length > 0) {
      console.log(`resuming ${previous[0].uploadUrl}`);
      upload.resumeFromPreviousUpload(previous[0]);
    }
    upload.start();
  }).catch((err) => { console.error(err.message); process.exit(1); });
} else {
  upload.start();
}
