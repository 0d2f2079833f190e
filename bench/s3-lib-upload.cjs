// Reference S3 multipart client for the benchmark: @aws-sdk/lib-storage 3.1175.0 (from tests/peers).
// Usage: node s3-lib-upload.cjs <endpoint> <bucket> <key> <file> <accessKey> <secretKey> <queueSize> <partSizeBytes>
const path = require('node:path');
const fs = require('node:fs');
const peers = path.join(__dirname, '../tests/peers/node_modules');
const { S3Client } = require(path.join(peers, '@aws-sdk/client-s3'));
const { Upload } = require(path.join(peers, '@aws-sdk/lib-storage'));

const [endpoint, bucket, key, file, accessKeyId, secretAccessKey, queueSize, partSize] = process.argv.slice(2);
const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId, secretAccessKey },
  // The settings S3-compatible test servers need (no aws-chunked trailers, no default CRC32).
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
new Upload({
  client,
  params: { Bucket: bucket, Key: key, Body: fs.createReadStream(file) },
  queueSize: Number(queueSize),
  partSize: Number(partSize),
}).done().then(() => process.exit(0), (err) => { console.error(err.message); process.exit(1); });
