#!/usr/bin/env bash
# Trains on a .npy twice as large as the memory the process may use (issue 16), and prints the
# file's size, the limit and the run's peak resident memory.
#
#     LIMIT_MIB=640 tools/larger_than_memory.sh
#
# The limit is a cgroup memory limit: `systemd-run --scope -p MemoryMax=…` where systemd runs,
# else a child of this shell's cgroup v1 memory cgroup (needs write access to it, e.g. root in a
# container). `ulimit -v` is no test here: it bounds address space, and mapping a file takes
# address space whether or not its pages are in memory. Needs python3 with numpy, GNU time
# (/usr/bin/time) and a release build ($GRADLENS, else $CARGO_TARGET_DIR/release/gradlens, else
# target/release/gradlens). The data (2 × LIMIT_MIB, about 1.3 GB by default) is written to
# $TMPDIR and deleted at the end, as is the cgroup.
set -euo pipefail

LIMIT_MIB=${LIMIT_MIB:-640}
BIN=${GRADLENS:-${CARGO_TARGET_DIR:-target}/release/gradlens}
[ -x "$BIN" ] || { echo "no gradlens binary at $BIN (cargo build --release)" >&2; exit 1; }
DIR=$(mktemp -d "${TMPDIR:-/tmp}/gradlens-larger-than-memory.XXXXXX")
CG=""
cleanup() {
    rm -rf "$DIR"
    if [ -n "$CG" ]; then rmdir "$CG" 2>/dev/null || true; fi
}
trap cleanup EXIT

# Ten classes around random centres in 784 dimensions, float64, written in blocks through
# numpy's own memory map (this script never holds the data either).
python3 - "$DIR" "$LIMIT_MIB" <<'EOF'
import sys
import numpy as np

d, limit_mib = sys.argv[1], int(sys.argv[2])
features = 784
rows = 2 * limit_mib * 2**20 // (features * 8) + 1
rng = np.random.default_rng(0)
y = rng.integers(0, 10, rows)
centres = rng.normal(size=(10, features))
x = np.lib.format.open_memmap(f"{d}/X.npy", mode="w+", dtype=np.float64, shape=(rows, features))
for s in range(0, rows, 8192):
    e = min(rows, s + 8192)
    x[s:e] = centres[y[s:e]] + 2.0 * rng.normal(size=(e - s, features))
x.flush()
del x
np.save(f"{d}/y.npy", y.astype(np.int64))
EOF
FILE_BYTES=$(stat -c %s "$DIR/X.npy")

if systemd-run --scope --quiet -p MemoryMax=1G true 2>/dev/null; then
    HOW="systemd-run --scope -p MemoryMax=${LIMIT_MIB}M -p MemorySwapMax=0"
    RUN=(systemd-run --scope --quiet -p "MemoryMax=${LIMIT_MIB}M" -p MemorySwapMax=0)
else
    MEMCG=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
    [ -n "$MEMCG" ] && [ -w "/sys/fs/cgroup/memory$MEMCG" ] || {
        echo "neither systemd-run nor a writable cgroup v1 memory controller: no way to set a limit here" >&2
        exit 1
    }
    CG="/sys/fs/cgroup/memory$MEMCG/gradlens-larger-than-memory-$$"
    mkdir "$CG"
    echo $((LIMIT_MIB << 20)) > "$CG/memory.limit_in_bytes"
    if [ -e "$CG/memory.memsw.limit_in_bytes" ]; then
        echo $((LIMIT_MIB << 20)) > "$CG/memory.memsw.limit_in_bytes"
    fi
    HOW="cgroup v1 memory.limit_in_bytes = ${LIMIT_MIB} MiB ($CG)"
    # The child shell joins the cgroup, then becomes the measured process.
    RUN=(sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG")
fi

# The file's pages may still be cached from writing it: drop what this user may (root only).
sync
echo 1 > /proc/sys/vm/drop_caches 2>/dev/null || true

"${RUN[@]}" /usr/bin/time -v "$BIN" train --data "$DIR/X.npy" --labels "$DIR/y.npy" --hidden 32 --activation relu \
    --epochs 1 --batch-size 256 --lr 0.01 --test-fraction 0.1 --format json \
    > "$DIR/report.json" 2> "$DIR/time.txt" || { head -3 "$DIR/time.txt" >&2; exit 1; }

RSS_KIB=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$DIR/time.txt")
ELAPSED=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$DIR/time.txt")
python3 - "$DIR/report.json" "$FILE_BYTES" "$LIMIT_MIB" "$RSS_KIB" "$ELAPSED" "$HOW" <<'EOF'
import json, sys
report, size, limit, rss_kib, elapsed, how = sys.argv[1:]
r = json.load(open(report))
size, limit, rss = int(size), int(limit), int(rss_kib) / 1024
print(f"limit: {how}")
print(f"data: {r['data']['rows']} rows x {len(r['data']['features'])} float64 = {size / 2**20:.0f} MiB "
      f"({size / 2**20 / limit:.2f}x the limit)")
print(f"trained: {r['data']['train_rows']} rows, 1 epoch in {elapsed}; final train accuracy "
      f"{r['final']['train']['accuracy']:.4f}, test {r['final']['test']['accuracy']:.4f}")
print(f"peak RSS (GNU time): {rss:.0f} MiB = {rss / limit:.2f}x the limit, {rss * 2**20 / size:.2f}x the file")
EOF
