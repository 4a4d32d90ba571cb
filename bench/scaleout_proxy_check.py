"""What a browser needs from the nodes behind the balancer, checked over HTTPS (`bench/scaleout.sh` runs it).

    python bench/scaleout_proxy_check.py --base-url https://127.0.0.1:8790 --ca-file run/lb-cert.pem \\
        --node-url http://127.0.0.1:8791 [--stats-socket run/haproxy.sock]

The nodes run the production settings unchanged; TLS ends at the balancer. Checked, each a row of the output:

- a node asked directly over plain HTTP redirects to HTTPS: only the balancer's `X-Forwarded-Proto: https` makes a
  request count as secure (`SECURE_PROXY_SSL_HEADER`), so the nodes must be reachable only through it;
- through the balancer: the HSTS header, a request id made by the balancer (`X-Request-ID`, HAProxy's dashed
  UUID where the app would make an undashed one), and the auth cookies of `?use_cookies=true` set `Secure` and
  `HttpOnly` with the CSRF cookie `Secure` (readable by the front end);
- cookie-authenticated writes with the CSRF token and the site's own `Origin` succeed on every node (no sticky
  sessions: the cookie issued through one node is accepted by the others, which share `SECRET_KEY`), and with the
  stats socket it is shown that more than one node answered them;
- the same write without the token, or from another origin, is refused 403 `csrf_failed` (the Origin check runs
  against the `Host` the balancer passed on unchanged).

Prints a Markdown table and one JSON line; exits 1 if any check fails.
"""

import argparse
import json
import ssl
import sys
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scaleout_lb import node_stats  # noqa: E402

PASSWORD = "Tr4vel-Kettle-93!"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="the balancer, https://")
    parser.add_argument("--ca-file", required=True, help="the balancer's (self-signed) certificate")
    parser.add_argument("--node-url", required=True, help="one node directly, http://")
    parser.add_argument("--stats-socket", help="HAProxy's stats socket: count the nodes that answered")
    parser.add_argument("--writes", type=int, default=6, help="cookie-authenticated writes to spread over nodes")
    args = parser.parse_args()
    results: list[tuple[str, bool, str]] = []

    def check(name: str, ok: bool, seen: str) -> None:
        results.append((name, bool(ok), seen))

    direct = httpx.get(f"{args.node_url}/products/", follow_redirects=False, timeout=10)
    check("a node asked over plain HTTP redirects to HTTPS", direct.status_code == 301
          and direct.headers.get("location", "").startswith("https://"),
          f"{direct.status_code} {direct.headers.get('location')}")

    origin = args.base_url.rstrip("/")
    client = httpx.Client(base_url=origin, verify=ssl.create_default_context(cafile=args.ca_file), timeout=15)
    products = client.get("/products/", params={"page": 1})
    plain = [p for p in products.json().get("results", []) if not p["variants"] and p["stock_quantity"] > 10]
    request_id = products.headers.get("x-request-id", "")
    check("the balancer adds a request id the app keeps", products.status_code == 200 and request_id.count("-") == 4,
          f"{products.status_code} X-Request-ID {request_id}")
    check("HSTS on answers through the balancer", "max-age=" in products.headers.get("strict-transport-security", ""),
          products.headers.get("strict-transport-security", "missing"))

    email = f"scaleout-check-{uuid.uuid4().hex[:10]}@example.com"
    registered = client.post("/auth/register/", params={"use_cookies": "true"}, json={
        "email": email, "password": PASSWORD, "password2": PASSWORD, "first_name": "Scale", "last_name": "Out"})
    set_cookies = registered.headers.get_list("set-cookie")

    def flags(name: str) -> set[str]:
        for header in set_cookies:
            if header.startswith(f"{name}="):
                return {part.strip().lower() for part in header.split(";")[1:]}
        return set()

    access, csrf_cookie = flags("access_token"), flags("csrftoken")
    check("register with ?use_cookies=true sets Secure HttpOnly auth cookies", registered.status_code == 201
          and {"secure", "httponly"} <= access and "tokens" not in registered.json(),
          f"{registered.status_code} access_token flags {sorted(access)}")
    check("the CSRF cookie is Secure and readable by the front end", "secure" in csrf_cookie
          and "httponly" not in csrf_cookie, f"csrftoken flags {sorted(csrf_cookie)}")
    token = client.cookies.get("csrftoken", "")
    if not plain or not token:
        check("a product to put in the cart and a CSRF token", False, f"{len(plain)} products, token {bool(token)}")
        return report(results)

    before = node_stats(args.stats_socket) if args.stats_socket else {}
    statuses = [
        client.post("/cart/items/", json={"product_id": plain[0]["id"], "quantity": 1},
                    headers={"X-CSRFToken": token, "Origin": origin, "Referer": origin + "/"}).status_code
        for _ in range(args.writes)
    ]
    check(f"{args.writes} cookie-authenticated writes with the token and the site's Origin",
          statuses == [200] * args.writes, f"statuses {statuses}")
    if args.stats_socket:
        after = node_stats(args.stats_socket)
        served = {name: after[name]["stot"] - before.get(name, {}).get("stot", 0) for name in after}
        check("those writes were answered by more than one node", sum(1 for n in served.values() if n) > 1,
              f"requests per node {served}")

    no_token = client.post("/cart/items/", json={"product_id": plain[0]["id"], "quantity": 1},
                           headers={"Origin": origin})
    check("the same write without the CSRF token is refused", no_token.status_code == 403
          and no_token.json().get("code") == "csrf_failed", f"{no_token.status_code} {no_token.json().get('code')}")
    other_origin = client.post("/cart/items/", json={"product_id": plain[0]["id"], "quantity": 1},
                               headers={"X-CSRFToken": token, "Origin": "https://evil.example"})
    check("with the token but from another origin it is refused", other_origin.status_code == 403
          and other_origin.json().get("code") == "csrf_failed",
          f"{other_origin.status_code} {other_origin.json().get('code')}")
    client.post("/cart/clear/", headers={"X-CSRFToken": token, "Origin": origin})
    return report(results)


def report(results: list[tuple[str, bool, str]]) -> int:
    print("| check through the balancer | ok | seen |")
    print("|---|---|---|")
    for name, ok, seen in results:
        print(f"| {name} | {'yes' if ok else '**NO**'} | {seen} |")
    print(json.dumps({"proxy_checks": {name: ok for name, ok, _ in results}}, separators=(",", ":")))
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
