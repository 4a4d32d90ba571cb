"""The HAProxy load balancer of `bench/scaleout.sh`: its configuration, and its per-node counters.

    python bench/scaleout_lb.py config --port 8790 --tls-pem run/lb.pem --node 8791 --node 8792 \\
        --workers 2 --socket run/haproxy.sock > run/haproxy.cfg
    python bench/scaleout_lb.py stats run/haproxy.sock          # one JSON line: each node's state and counters

HAProxy rather than nginx: the open-source nginx has no active health checks (only passive `max_fails`), and the
brief of this benchmark is a balancer that checks `GET /health/` and routes around a dead node by itself.

What the configuration does, and why (docs/SCALING.md, "Behind a load balancer", says what a deployment must set):

- TLS ends at the balancer (`ssl crt`), which then *overwrites* `X-Forwarded-Proto` (never passes on a client's
  own): production settings trust that header (`SECURE_PROXY_SSL_HEADER`) to know a request came over HTTPS, for
  the HTTPS redirect, secure cookies and the CSRF Origin check;
- `option forwardfor` appends the client's address to `X-Forwarded-For`: with `NUM_PROXIES=1` on the nodes the
  throttles count the last (the balancer's own) entry, which a client cannot forge;
- the `Host` header is passed on unchanged (HAProxy never rewrites it): Django checks it against `ALLOWED_HOSTS`
  and builds the CSRF check's expected origin from it;
- a request id (`X-Request-ID`) is added when the client sent none, so the balancer's and the app's logs join;
- `balance leastconn` with `maxconn <workers x threads>` per node: a worker thread (a sync worker has one) serves
  one request at a time, so at most that many requests go to a node and the rest wait in HAProxy's queue, from which
  the next free worker on any node takes them and which a dead node's share is redispatched from (a node's own
  listen backlog would die with it). No stickiness: a JWT or the auth cookies are verified by any node with the same
  `SECRET_KEY`;
- health: `GET /health/` every second (HTTP/1.1 with a `Host` the app accepts; the path is exempt from the HTTPS
  redirect), three failures mark a node down, two successes up again. A check waits for a free worker thread like
  any request, so on a saturated node it is slow, not failed: with HAProxy's default check timeout (the 1 s
  interval) both busy nodes were marked down at once under load (measured; docs/SCALING.md), hence
  `timeout check 5s`. A dead node is caught by traffic instead: a refused connection marks it down at once
  (`observe layer4`), and `retries`/`option redispatch` re-send a request whose connection was refused to another
  node. Only then: a request that reached a node is never re-sent by the balancer (it may have been applied; the
  client retries with its `Idempotency-Key`);
- only abnormal exchanges are logged (`option dontlog-normal`: errors, aborts, retries, to stderr), each with
  HAProxy's termination state, which says which side broke a request and when;
- `timeout server` above gunicorn's `timeout` (30 s), so a stuck sync worker is killed by gunicorn before the
  balancer gives up on it (a gthread worker's stuck request is cut by the balancer at 60 s);
- slow clients stop here, not on a node: `option http-buffer-request` makes HAProxy read a request's body before it
  picks a node, and `timeout http-request` (10 s) bounds headers and body together, so a client dribbling its bytes
  never holds a worker thread (gunicorn's timeout does not cut a request in a gthread worker);
- `timeout http-keep-alive` (10 s) for idle client connections; towards the nodes HAProxy reuses connections within
  gunicorn's keep-alive (`GUNICORN_KEEPALIVE`, 75 s), so a node never closes one as it is reused.
"""

import argparse
import csv
import io
import json
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

# Counters of `show stat` kept per node (HAProxy's management guide, section 9.1): requests sent, answers by class,
# connection errors, response errors (e.g. the node died mid-answer), retries, redispatches, health state.
STAT_FIELDS = ("status", "stot", "hrsp_2xx", "hrsp_4xx", "hrsp_5xx", "econ", "eresp", "wretr", "wredis",
               "chkfail", "chkdown", "qcur", "qmax", "scur", "smax")


def haproxy_config(
    *,
    port: int,
    nodes: Sequence[int],
    workers: int,
    socket_path: str | Path,
    threads: int = 1,
    tls_pem: str | Path | None = None,
    host: str = "127.0.0.1",
    health_host: str = "127.0.0.1",
) -> str:
    """The text of an haproxy.cfg: one frontend on ``host:port`` (HTTPS with ``tls_pem``, a PEM holding the
    certificate and its key, else plain HTTP) in front of gunicorn nodes on ``host:<each of nodes>``, each running
    ``workers`` workers of ``threads`` threads each (1: sync workers). ``socket_path``: HAProxy's stats socket
    (``stats`` below reads it). ``health_host``: the ``Host`` the health check sends (a name in the nodes'
    ``ALLOWED_HOSTS``). Raises ValueError on no nodes."""
    if not nodes or workers < 1 or threads < 1:
        raise ValueError("need at least one node and one worker thread per node")
    bind = f"bind {host}:{port}" + (f" ssl crt {tls_pem} alpn http/1.1" if tls_pem else "")
    servers = "\n".join(
        f"    server node{number} {host}:{node_port} check maxconn {workers * threads}"
        for number, node_port in enumerate(nodes, start=1)
    )
    return f"""# Generated by bench/scaleout_lb.py for bench/scaleout.sh; see its docstring for why each line is here.
global
    maxconn 4096
    nbthread 1
    stats socket {socket_path} mode 600 level admin
    log stderr format short local0 info
    ssl-default-bind-options ssl-min-ver TLSv1.2

defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout queue 30s
    timeout http-request 10s
    timeout http-keep-alive 10s
    retries 3
    option redispatch 1
    option forwardfor
    option http-buffer-request
    timeout check 5s
    default-server inter 1s fastinter 500ms downinter 1s rise 2 fall 3 observe layer4 error-limit 1 on-error mark-down

frontend shop
    {bind}
    unique-id-format %[uuid()]
    http-request set-header X-Forwarded-Proto https if {{ ssl_fc }}
    http-request set-header X-Forwarded-Proto http unless {{ ssl_fc }}
    http-request set-header X-Request-ID %[unique-id] unless {{ req.hdr(x-request-id) -m found }}
    default_backend nodes

backend nodes
    balance leastconn
    option httpchk
    http-check send meth GET uri /health/ ver HTTP/1.1 hdr Host {health_host}
    http-check expect status 200
{servers}
"""


def node_stats(socket_path: str | Path) -> dict[str, dict[str, int | str]]:
    """``{node name: {field: value}}`` for the nodes of the backend, from ``show stat`` on the stats socket
    (numbers as int, the health ``status`` such as ``UP``/``DOWN`` as text). Raises OSError if HAProxy is gone."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(str(socket_path))
        conn.sendall(b"show stat\n")
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    text = b"".join(chunks).decode().lstrip("# ")
    nodes = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["pxname"] == "nodes" and row["svname"] not in ("FRONTEND", "BACKEND"):
            nodes[row["svname"]] = {
                field: (row[field] if field == "status" else int(row[field] or 0)) for field in STAT_FIELDS
            }
    return nodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    config = commands.add_parser("config", help="print an haproxy.cfg")
    config.add_argument("--port", type=int, required=True)
    config.add_argument("--node", type=int, action="append", required=True, help="a gunicorn node's port")
    config.add_argument("--workers", type=int, required=True, help="gunicorn workers per node")
    config.add_argument("--threads", type=int, default=1, help="threads per worker (GUNICORN_THREADS)")
    config.add_argument("--socket", required=True, help="the stats socket's path")
    config.add_argument("--tls-pem", help="certificate + key (PEM): the frontend speaks HTTPS")
    stats = commands.add_parser("stats", help="print each node's state and counters as one JSON line")
    stats.add_argument("socket")
    stats.add_argument("--brief", action="store_true", help="one readable line instead of JSON")
    args = parser.parse_args()
    if args.command == "config":
        sys.stdout.write(haproxy_config(port=args.port, nodes=args.node, workers=args.workers, threads=args.threads,
                                        socket_path=args.socket, tls_pem=args.tls_pem))
    elif args.brief:
        print("; ".join(
            f"{name} {row['status']}: {row['stot']} requests ({row['hrsp_5xx']} 5xx, {row['eresp']} broken answers, "
            f"{row['econ']} refused connections, {row['wredis']} redispatched, {row['chkdown']} times marked down)"
            for name, row in node_stats(args.socket).items()
        ))
    else:
        print(json.dumps(node_stats(args.socket), separators=(",", ":")))


if __name__ == "__main__":
    main()
