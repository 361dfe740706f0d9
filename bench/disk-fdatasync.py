#!/usr/bin/env python3
"""How this disk takes durable writes: 1 GiB (or the size of SOURCE) already in memory, written
with pwrite to OUT and made durable with an fdatasync every 8, 32 and 128 MiB, or once at the end.

    python3 bench/disk-fdatasync.py SOURCE_FILE OUT_FILE [repeats=2]

Prints seconds and MB/s (10^6 bytes/s) per variant, repeats interleaved. OUT_FILE is removed
after each write and `sync` runs between writes. Used for the durable-write bound stated in
docs/benchmarks-transfer.md: Ferry makes every file durable before it reports it, rclone and cp
do not, so this is the speed limit Ferry shares with nobody in the transfer benchmark.
"""
import os
import sys
import time


def run(data, out, chunk_mib):
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    chunk = chunk_mib * 1024 * 1024
    start = time.time()
    for offset in range(0, len(data), chunk):
        os.pwrite(fd, data[offset:offset + chunk], offset)
        if chunk < len(data):
            os.fdatasync(fd)
    os.fdatasync(fd)
    elapsed = time.time() - start
    os.close(fd)
    os.unlink(out)
    os.sync()
    return elapsed


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: disk-fdatasync.py SOURCE_FILE OUT_FILE [repeats]")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    whole = max(1, len(data) // (1024 * 1024))
    for _ in range(repeats):
        for chunk_mib in (8, 32, 128, whole):
            s = run(data, sys.argv[2], chunk_mib)
            what = "once at the end" if chunk_mib == whole else f"every {chunk_mib} MiB"
            print(f"fdatasync {what}: {s:.2f} s, {len(data) / 1e6 / s:.0f} MB/s", flush=True)


if __name__ == "__main__":
    main()
