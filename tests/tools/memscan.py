#!/usr/bin/env python3
"""memscan.py PIDS HEX...: which of the processes PIDS (comma-separated)
hold any of the byte strings HEX in their writable memory?

Prints one line per process, "PID found", "PID absent" or "PID unreadable"
(not root, or the process is gone), and exits 0.  Reads the writable
private mappings of /proc/PID/mem (heap, anonymous memory: where a
program's data lives; root may read a non-dumpable process's memory).
Used by t_privsep.sh to show which process holds the account key's
private part.
"""
import sys

# A sanitizer's shadow memory is terabytes of reserved pages: a key is in
# the heap or a small anonymous mapping.
MAX_REGION = 64 * 1024 * 1024


def scan(pid, needles):
    try:
        maps = open(f"/proc/{pid}/maps").read().splitlines()
        mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
    except OSError:
        return "unreadable"
    readable = 0
    with mem:
        for line in maps:
            fields = line.split()
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            if not fields[1].startswith("rw") or hi - lo > MAX_REGION:
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except (OSError, ValueError, OverflowError):
                continue
            readable += 1
            if any(n in data for n in needles):
                return "found"
    return "absent" if readable else "unreadable"


def main():
    pids = [p for p in sys.argv[1].split(",") if p]
    needles = [bytes.fromhex(h) for h in sys.argv[2:]]
    for pid in pids:
        print(pid, scan(pid, needles))
    return 0


if __name__ == "__main__":
    sys.exit(main())
