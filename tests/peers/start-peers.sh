#!/usr/bin/env bash
# Start upload test peers in the background on loopback (ephemeral ports) and write their addresses to
# $PEERS_RUN/peers.env (sourceable). Stop them with stop-peers.sh, which kills by the recorded PIDs only.
# The xunit tests do not need this (their fixtures start the peers they use); it is for Pester, bench and
# trying things by hand.
#   PEERS=tus,s3rver[,swift]   which peers (default tus,s3rver)
#   PEERS_RUN=DIR              pid files, logs, data, env file (default: $TMPDIR/resumetransfer-peers)
# Needs: node 20 (npm ci is run here when node_modules is missing), and for swift Debian's python3-swift
# (apt-get install -y --no-install-recommends python3-swift) run by /usr/bin/python3.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
RUN="${PEERS_RUN:-${TMPDIR:-/tmp}/resumetransfer-peers}"; mkdir -p "$RUN"; PEERS_ENV="$RUN/peers.env"; : > "$PEERS_ENV"
PEERS="${PEERS:-tus,s3rver}"
[ -d "$HERE/node_modules" ] || (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
export NODE_NO_WARNINGS=1
wait_ready() { # wait_ready NAME TIMEOUT : until the log has a READY line; echo the URL
  local log="$RUN/$1.log" end=$((SECONDS+$2))
  until grep -q '^READY ' "$log" 2>/dev/null; do
    kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null || { echo "$1 died:" >&2; cat "$log" >&2; return 1; }
    [ $SECONDS -ge $end ] && { echo "$1 not ready in $2 s" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  grep -m1 '^READY ' "$log" | awk '{print $2}'
}
if [[ ,$PEERS, == *,tus,* ]]; then
  node "$HERE/tus-server.mjs" --port 0 --dir "$RUN/tus-files" < /dev/null > "$RUN/tus.log" 2>&1 & echo $! > "$RUN/tus.pid"
  echo "TUS_ENDPOINT=$(wait_ready tus 20)" >> "$PEERS_ENV"
  echo "TUS_DIR=$RUN/tus-files" >> "$PEERS_ENV"
fi
if [[ ,$PEERS, == *,s3rver,* ]]; then
  node "$HERE/s3rver-server.cjs" --port 0 --dir "$RUN/s3rver-data" --bucket test-bucket < /dev/null > "$RUN/s3rver.log" 2>&1 & echo $! > "$RUN/s3rver.pid"
  echo "S3RVER_ENDPOINT=$(wait_ready s3rver 20)" >> "$PEERS_ENV"
  printf '%s\n' S3RVER_ACCESS_KEY=S3RVER S3RVER_SECRET_KEY=S3RVER S3RVER_BUCKET=test-bucket >> "$PEERS_ENV"
fi
if [[ ,$PEERS, == *,swift,* ]]; then
  [ -f /usr/lib/python3/dist-packages/swift/__init__.py ] || { echo "python3-swift is missing: apt-get install -y --no-install-recommends python3-swift" >&2; exit 1; }
  /usr/bin/python3 "$HERE/swift-s3.py" --dir "$RUN/swift-data" --port 0 --backend-port-base 0 --bucket test-bucket < /dev/null > "$RUN/swift.log" 2>&1 & echo $! > "$RUN/swift.pid"
  echo "SWIFT_S3_ENDPOINT=$(wait_ready swift 60)" >> "$PEERS_ENV"
  printf '%s\n' SWIFT_S3_ACCESS_KEY=test:tester SWIFT_S3_SECRET_KEY=testing SWIFT_S3_BUCKET=test-bucket >> "$PEERS_ENV"
fi
cat "$PEERS_ENV"
