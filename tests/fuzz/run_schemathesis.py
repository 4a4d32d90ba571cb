"""Fuzz the whole API with schemathesis, as a customer and as staff, against a throwaway database.

    .venv/bin/python tests/fuzz/run_schemathesis.py        (or tests/fuzz/run_schemathesis.sh)

1. A fresh database: ``FUZZ_DATABASE_URL`` (a PostgreSQL one is dropped and re-created), else PostgreSQL database
   ``shop_fuzz_run_<pid>`` on 127.0.0.1:5432 when it answers, else a SQLite file in a temporary directory.
2. ``migrate``, ``seed_demo``, then ``tests/fuzz/seed.py``: a customer, a staff user, orders and payments
   (sandbox, COD, shipped), and an access token for each user; a guest's order with its order access token and a
   guest cart with its cart token. A schemathesis config file pins the guest routes' ``order_key``, ``token`` /
   ``X-Order-Token`` and every ``X-Cart-Token`` to those, so the guest operations are fuzzed past their token
   check (every wrong token is tests/test_security_guest.py's job).
3. The app under gunicorn on a free 127.0.0.1 port, throttles raised, payment methods sandbox + COD.
4. ``schemathesis run`` over every operation of the app's own schema (``/api/schema/``) twice, with each
   token, and the checks not_a_server_error, status_code_conformance, content_type_conformance and
   response_schema_conformance. Exits non-zero on any failure or error, or when fewer than
   ``FUZZ_MIN_CASES`` (2000) cases were generated.

Left out, on purpose (each has its own tests):
- The ``/api/v1/`` copies of root paths: the schema leaves them out (the same views, tests/test_foundation_urls.py,
  tests/test_docs_schema.py); ``/api/v1/`` paths of their own (``token/`` and the aliases ``profile/``,
  ``register/``, ``token/refresh/``) are fuzzed like the rest.
- ``POST /auth/logout/`` and ``POST /auth/change-password/``: each revokes the tokens the run authenticates
  with, so every later case would be a 401 (shop/accounts/tests).

Environment: FUZZ_MAX_EXAMPLES (fuzzing-phase cases per operation, default 5; the examples and coverage phases
add their own, ~6,500 per run in all), FUZZ_SEED, FUZZ_WORKERS (default 1: with 2, schemathesis 4.32 + Hypothesis
sometimes raise "AST constructor recursion depth mismatch" from threads describing lambdas at once — a tool error),
FUZZ_DATABASE_URL, FUZZ_REDIS_URL (default: none — cache and throttles in process memory), FUZZ_REPORT_DIR,
FUZZ_INCLUDE_PATH_REGEX (only the operations whose path matches, e.g. ``^/(discounts|cart)/``, with a lower
FUZZ_MIN_CASES).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXCLUDED = [
    ("--exclude-path", "/auth/logout/"),
    ("--exclude-path", "/auth/change-password/"),
]


def _log(message: str) -> None:
    print(f"[fuzz] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return shutil.which("psql") is not None
    except OSError:
        return False


def _database(tmp: Path) -> tuple[str, str | None]:
    """(DATABASE_URL, PostgreSQL database name to drop afterwards or None)."""
    url = os.environ.get("FUZZ_DATABASE_URL")
    if url is None and _postgres_up():
        # One name per run, so two checkouts fuzzing on one machine never drop each other's database.
        url = f"postgres://postgres@127.0.0.1:5432/shop_fuzz_run_{os.getpid()}"
    if url is None:
        url = f"sqlite:///{tmp / 'fuzz.sqlite3'}"
    if url.startswith("sqlite"):
        return url, None
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                       stdout=subprocess.DEVNULL)
    return url, name


def _wait_healthy(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the app exited with {server.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{base}/api/schema/?format=json", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise SystemExit("the app did not answer within 60s")


def _guest_config(tokens: dict, path: Path) -> Path:
    """A schemathesis config pinning the guest parameters to the seeded guest's (TOML basic strings: the tokens
    are URL-safe base64 and ``:``, nothing to escape)."""
    order = {"path.order_key": tokens["guest_order_key"], "query.token": tokens["guest_order_token"],
             "header.X-Order-Token": tokens["guest_order_token"]}
    cart = {"header.X-Cart-Token": tokens["guest_cart_token"]}

    def table(values: dict) -> str:
        return "{ " + ", ".join(f'"{name}" = "{value}"' for name, value in values.items()) + " }"

    # The cart token only where a guest uses it: a login or register sending it would merge the cart away.
    path.write_text("[parameters]\n" + "".join(f'"{name}" = "{value}"\n' for name, value in order.items())
                    + '\n[[operations]]\ninclude-path-regex = "^/(cart|orders/guest)/"\n'
                    + f"parameters = {table(order | cart)}\n")
    return path


def _run_schemathesis(*, label: str, base: str, token: str, report_dir: Path, config: Path) -> dict:
    report = report_dir / f"{label}.json"
    junit = report_dir / f"{label}.xml"
    command = [
        str(VENV_BIN / "schemathesis"), "--config-file", str(config), "run", f"{base}/api/schema/?format=json",
        "--url", base,
        "--checks", CHECKS,
        "--header", f"Authorization: Bearer {token}",
        "--max-examples", os.environ.get("FUZZ_MAX_EXAMPLES", "5"),
        "--workers", os.environ.get("FUZZ_WORKERS", "1"),
        "--phases", "examples,coverage,fuzzing",
        "--request-timeout", "30",
        "--generation-database", "none",
        "--report", "json,junit",
        "--report-json-path", str(report),
        "--report-junit-path", str(junit),
        "--no-color",
    ]
    if os.environ.get("FUZZ_SEED"):
        command += ["--seed", os.environ["FUZZ_SEED"]]
    if os.environ.get("FUZZ_INCLUDE_PATH_REGEX"):  # a focused run over some operations (set FUZZ_MIN_CASES too)
        command += ["--include-path-regex", os.environ["FUZZ_INCLUDE_PATH_REGEX"]]
    for option, value in EXCLUDED:
        command += [option, value]
    _log(f"schemathesis as {label}")
    started = time.monotonic()
    code = subprocess.run(command, cwd=ROOT).returncode
    elapsed = time.monotonic() - started
    counts = _count_cases(report)
    counts.update(label=label, exit_code=code, seconds=round(elapsed, 1))
    _log(f"{label}: {json.dumps(counts)}")
    return counts


def _count_cases(report: Path) -> dict:
    """Generated test cases and failures from schemathesis's JSON run report."""
    if not report.exists():
        return {"cases": 0, "failures": None, "errors": None}
    data = json.loads(report.read_text())
    cases = data["test_cases"]
    return {
        "operations": data["operations"]["tested"],
        "cases": cases["generated"],
        "failures": cases["with_failures"],
        "errors": sum(error.get("count", 1) for error in data.get("errors", [])),
    }


def _fuzz(*, env: dict, tmp: Path, report_dir: Path) -> list[dict]:
    """Migrate and seed, serve the app, run schemathesis as each user; the per-user figures."""
    python = str(VENV_BIN / "python")
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    seeded = subprocess.run([python, "manage.py", "shell", "-c", (ROOT / "tests/fuzz/seed.py").read_text()],
                            cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True)
    line = next(x for x in seeded.stdout.splitlines() if x.startswith("FUZZ-TOKENS "))
    tokens = json.loads(line.removeprefix("FUZZ-TOKENS "))

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp / "server.log"
    server_log = open(log_path, "w")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(
        # No request-line / header-size caps: past them gunicorn itself answers a 414/431 HTML page before
        # the app sees the request (an HTTP-server limit, like a proxy's, not an API answer), and generated
        # query strings sometimes pass 4 KB. What the app does with such input is what is under test.
        [str(VENV_BIN / "gunicorn"), "config.wsgi", "-c", "gunicorn.conf.py",
         "--limit-request-line", "0", "--limit-request-field_size", "0"],
        cwd=ROOT, env=env | {"PORT": str(port), "BIND_ADDRESS": "127.0.0.1", "WEB_CONCURRENCY": "2",
                             "GUNICORN_MAX_REQUESTS": "0", "GUNICORN_TIMEOUT": "60"},
        stdout=server_log, stderr=subprocess.STDOUT,
    )
    results = []
    try:
        _wait_healthy(base, server)
        _log(f"app on {base} (log: {log_path})")
        config = _guest_config(tokens, tmp / "schemathesis.toml")
        for label in ("customer", "staff"):
            results.append(_run_schemathesis(label=label, base=base, token=tokens[label], report_dir=report_dir,
                                             config=config))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
    return results


def main() -> int:
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="shop-fuzz-"))
    report_dir = Path(os.environ.get("FUZZ_REPORT_DIR", tmp / "reports"))
    report_dir.mkdir(parents=True, exist_ok=True)
    database_url, pg_name = _database(tmp)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DATABASE_URL=database_url,
        THROTTLE_RATES=("login=100000/min,register=100000/min,password_reset=100000/min,"
                        "token_refresh=100000/min,anon=100000000/min,user=100000000/min,"
                        "guest_checkout=100000/min,guest_order=100000/min,order_claim=100000/min"),
        PAYMENT_METHODS="sandbox,cod",
        PAYMENTS_SANDBOX_ENABLED="true",
        JWT_ACCESS_MINUTES="120",
        EMAIL_URL="consolemail://",
        LOG_LEVEL="WARNING",
        MEDIA_ROOT=str(tmp / "media"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if os.environ.get("FUZZ_REDIS_URL"):
        env["REDIS_URL"] = os.environ["FUZZ_REDIS_URL"]
    _log(f"database {database_url}")
    # `timeout` in CI sends SIGTERM: unwind through the finally blocks so gunicorn and the database go too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"terminated after {time.monotonic() - started:.0f}s"))
    try:
        results = _fuzz(env=env, tmp=tmp, report_dir=report_dir)
    finally:
        if pg_name:
            admin = database_url.rsplit("/", 1)[0] + "/postgres"
            subprocess.run(["psql", admin, "-q", "-c", f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'],
                           stdout=subprocess.DEVNULL, check=False)
    total_cases = sum(result["cases"] for result in results)
    total_failures = sum(result["failures"] or 0 for result in results)
    total_errors = sum(result["errors"] or 0 for result in results)
    minimum = int(os.environ.get("FUZZ_MIN_CASES", "2000"))
    _log(f"TOTAL: {total_cases} cases generated, {total_failures} failures, {total_errors} errors, "
         f"{time.monotonic() - started:.0f}s (reports in {report_dir})")
    if any(result["exit_code"] != 0 for result in results) or total_failures or total_errors:
        _log("FAILED: schemathesis found failures or errors (see above)")
        return 1
    if total_cases < minimum:
        _log(f"FAILED: only {total_cases} cases generated, fewer than {minimum}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
