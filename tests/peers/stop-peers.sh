#!/usr/bin/env bash
# Stop the peers started by start-peers.sh, by their recorded PIDs (TERM, then KILL after 5 s), and remove their data.
RUN="${PEERS_RUN:-${TMPDIR:-/tmp}/resumetransfer-peers}"
for f in "$RUN"/*.pid; do
  [ -e "$f" ] || continue; pid=$(cat "$f")
  kill -TERM "$pid" 2>/dev/null && for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$f"
done
rm -rf "$RUN/tus-files" "$RUN/s3rver-data" "$RUN/swift-data" "$RUN/peers.env"
