"""Kill a gunicorn node while one of its workers is inside a write transaction (`bench/scaleout.sh`'s failover run).

    python bench/scaleout_kill.py --master 4242 --within 10

Watches PostgreSQL (`pg_stat_activity` of DATABASE_URL's database) until a backend whose client socket belongs to
one of the node's workers is inside a write transaction on orders, stock, carts or payments (between statements
of an atomic block, or running an UPDATE/INSERT/DELETE/SELECT ... FOR UPDATE naming one of those tables), then
SIGKILLs the master and every worker at once, as a lost machine.
After ``--within`` seconds without such a moment it kills anyway. Prints one JSON line: whether a transaction was
caught, its statement (shortened), and how long the watch took. The point: a checkout or a payment cut in the
middle must leave either nothing (PostgreSQL rolls the transaction back when the connection dies) or a committed
order the client gets back by retrying with its Idempotency-Key, never half of one; the flow's database check
after the run says which.
"""

import argparse
import contextlib
import json
import os
import signal
import time
from pathlib import Path

import psycopg

WRITE_TABLES = ("orders_order", "catalog_product", "cart_cart", "payments_payment", "orders_orderitem")


def worker_pids(master: int) -> list[int]:
    pids = []
    for task in Path(f"/proc/{master}/task").iterdir():
        pids.extend(int(pid) for pid in (task / "children").read_text().split())
    return pids


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def local_ports_of(inodes: set[str]) -> set[int]:
    """Local TCP ports of those sockets (/proc/net/tcp and tcp6: local address, ..., inode in column 10)."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--master", type=int, required=True, help="the node's gunicorn master pid")
    parser.add_argument("--within", type=float, default=10.0, help="kill anyway after this many seconds")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    url = args.database_url.replace("postgres://", "postgresql://", 1)
    started = time.monotonic()
    caught = None
    with psycopg.connect(url, autocommit=True) as conn:
        database = conn.info.dbname
        ports: set[int] = set()
        refreshed = 0.0
        while time.monotonic() - started < args.within and caught is None:
            if time.monotonic() - refreshed > 0.5:  # workers keep their connection (DB_CONN_MAX_AGE): ports rarely move
                workers = worker_pids(args.master)
                ports = local_ports_of(set().union(*(socket_inodes(pid) for pid in workers))) if workers else set()
                refreshed = time.monotonic()
            rows = conn.execute(
                "SELECT client_port, state, query FROM pg_stat_activity "
                "WHERE datname = %s AND xact_start IS NOT NULL AND pid <> pg_backend_pid()",
                (database,),
            ).fetchall()
            for port, state, query in rows:
                writing = state == "idle in transaction" or query.lstrip().upper().startswith(
                    ("UPDATE", "INSERT", "DELETE")) or "FOR UPDATE" in query.upper()
                if port in ports and writing and any(table in query for table in WRITE_TABLES):
                    caught = {"state": state, "statement": " ".join(query.split())[:160]}
                    break
            else:
                time.sleep(0.01)
    workers = worker_pids(args.master)
    for pid in [args.master, *workers]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    print(json.dumps({"caught_in_a_write_transaction": caught is not None, "transaction": caught,
                      "waited_s": round(time.monotonic() - started, 2), "killed": [args.master, *workers]}))


if __name__ == "__main__":
    main()
