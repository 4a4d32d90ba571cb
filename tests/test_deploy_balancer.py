"""The load balancer configuration bench/scaleout.sh generates (bench/scaleout_lb.py), checked by HAProxy itself.

An optional deploy check: it needs the `haproxy` binary (Debian's package; .ci/run installs it). Without it the tests
are skipped with the reason, except under CI, where a missing binary is a failure rather than a silent skip.
"""

import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.test import RequestFactory
from rest_framework.throttling import SimpleRateThrottle

from bench.scaleout_lb import haproxy_config, node_stats

HAPROXY = shutil.which("haproxy")
OPENSSL = shutil.which("openssl")
if not HAPROXY and os.environ.get("CI"):
    pytest.fail("CI must install haproxy (.ci/run) for the balancer checks", pytrace=False)
pytestmark = pytest.mark.skipif(not HAPROXY, reason="haproxy is not installed (apt-get install haproxy)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def tls_pem(tmp_path):
    """A throwaway self-signed certificate for 127.0.0.1: (PEM with cert and key, cert), or None without openssl."""
    if not OPENSSL:
        return None
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days",
         "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out",
         str(cert)], check=True, capture_output=True)
    pem = tmp_path / "lb.pem"
    pem.write_text(cert.read_text() + key.read_text())
    return pem, cert


def haproxy_check(path) -> subprocess.CompletedProcess:
    return subprocess.run([HAPROXY, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("tls", [True, False], ids=["https", "http"])
def test_generated_config_is_valid_for_haproxy(tmp_path, tls_pem, tls):
    if tls and tls_pem is None:
        pytest.skip("openssl is not installed")
    path = tmp_path / "haproxy.cfg"
    path.write_text(haproxy_config(port=free_port(), nodes=[free_port(), free_port()], workers=2,
                                   socket_path=tmp_path / "haproxy.sock", tls_pem=tls_pem[0] if tls else None))
    result = haproxy_check(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration file is valid" in result.stdout


def test_haproxy_refuses_a_broken_config(tmp_path):
    # The check above can fail: a server line without its address is refused.
    path = tmp_path / "haproxy.cfg"
    text = haproxy_config(port=free_port(), nodes=[free_port()], workers=2, socket_path=tmp_path / "haproxy.sock")
    path.write_text(text.replace("server node1 127.0.0.1:", "server node1 :bad"))
    assert haproxy_check(path).returncode != 0


def test_config_needs_a_node():
    with pytest.raises(ValueError, match="at least one node"):
        haproxy_config(port=8790, nodes=[], workers=2, socket_path="/tmp/none.sock")  # noqa: S108


class EchoNode(BaseHTTPRequestHandler):
    """A stand-in node: /health/ answers 200 once asked with a Host header; anything else echoes the headers."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == "/health/":
            self.server.health_hosts.append(self.headers.get("Host"))
            body = b'{"status": "ok"}'
        else:
            body = json.dumps({name.lower(): self.headers.get_all(name) for name in self.headers}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802
        self.server.posts_seen.append(time.monotonic())
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def balanced_echo(tmp_path, tls_pem, request):
    """HAProxy (HTTPS when the test's param says so) in front of one echo node: yields (base URL, node server)."""
    tls = request.param
    if tls and tls_pem is None:
        pytest.skip("openssl is not installed")
    node = ThreadingHTTPServer(("127.0.0.1", 0), EchoNode)
    node.health_hosts = []
    node.posts_seen = []
    threading.Thread(target=node.serve_forever, daemon=True).start()
    port, sock = free_port(), tmp_path / "haproxy.sock"
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(port=port, nodes=[node.server_address[1]], workers=2, socket_path=sock,
                                     tls_pem=tls_pem[0] if tls else None))
    balancer = subprocess.Popen([HAPROXY, "-db", "-f", str(config)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if node_stats(sock)["node1"]["status"] == "UP":
                    break
            except (OSError, KeyError):
                pass
            time.sleep(0.1)
        else:
            pytest.fail("HAProxy never saw the node UP")
        verify = ssl.create_default_context(cafile=str(tls_pem[1])) if tls else True
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}", node, verify
    finally:
        balancer.terminate()
        balancer.wait(timeout=10)
        node.shutdown()


@pytest.mark.parametrize("balanced_echo", [True, False], ids=["https", "http"], indirect=True)
def test_balancer_overwrites_proto_appends_client_and_keeps_host(balanced_echo, settings):
    base, node, verify = balanced_echo
    scheme = base.split(":")[0]
    # What a client might forge: the scheme, an address, a request id of its own is kept only if well-formed.
    answer = httpx.get(f"{base}/echo/", verify=verify, timeout=10,
                       headers={"X-Forwarded-Proto": "https" if scheme == "http" else "http",
                                "X-Forwarded-For": "203.0.113.9"})
    seen = answer.json()
    assert answer.status_code == 200
    assert seen["x-forwarded-proto"] == [scheme]  # overwritten by the balancer, never the client's
    assert seen["host"] == [base.split("//")[1]]  # passed on unchanged: ALLOWED_HOSTS and the CSRF origin use it
    assert seen["x-request-id"][0].count("-") == 4  # the balancer's UUID
    assert node.health_hosts and set(node.health_hosts) == {"127.0.0.1"}  # the health check sends a Host

    # The forged address stays first; the balancer appended the real client's. With NUM_PROXIES=1 the throttles
    # count that one; with 2 they would count whatever the client wrote.
    forwarded = ", ".join(seen["x-forwarded-for"])
    assert forwarded.replace(" ", "").endswith("203.0.113.9,127.0.0.1")
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.2")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert SimpleRateThrottle.get_ident(None, request) == "127.0.0.1"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 2}
    assert SimpleRateThrottle.get_ident(None, request) == "203.0.113.9"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    assert SimpleRateThrottle.get_ident(None, request) == "10.0.0.2"  # every client would share one bucket


def test_config_caps_each_node_at_its_worker_threads(tmp_path):
    text = haproxy_config(port=8790, nodes=[8791], workers=3, threads=4, socket_path=tmp_path / "haproxy.sock")
    assert "server node1 127.0.0.1:8791 check maxconn 12" in text
    assert "maxconn 2\n" in haproxy_config(port=8790, nodes=[8791], workers=2, socket_path=tmp_path / "h.sock")


@pytest.mark.parametrize("balanced_echo", [False], ids=["http"], indirect=True)
def test_a_client_dribbling_its_body_never_holds_a_node(balanced_echo):
    # gunicorn's timeout does not cut a request inside a gthread worker, so the balancer must keep a slow client to
    # itself: the node sees the request only once its whole body has arrived (option http-buffer-request).
    base, node, _ = balanced_echo
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(b"POST /echo/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nhello")
        time.sleep(1.0)
        assert node.posts_seen == []  # half a body: still at the balancer
        client.sendall(b"world")
        answer = b""
        while not answer.endswith(b"helloworld"):
            chunk = client.recv(4096)
            assert chunk, answer
            answer += chunk
    assert answer.split(b"\r\n", 1)[0].endswith(b" 200 OK") and len(node.posts_seen) == 1, answer
