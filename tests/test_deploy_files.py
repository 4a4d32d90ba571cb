"""Syntax and shape checks for the deployment files, since CI has no Docker engine to run them."""

import datetime
import gc
import io
import json
import logging
import runpy
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())


def test_compose_runs_the_whole_stack_with_health_checks(compose):
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    for name in ("postgres", "redis", *APP_SERVICES):
        assert "test" in services[name].get("healthcheck", {}), f"{name} has no healthcheck"
    assert services["migrate"]["healthcheck"] == {"disable": True}


def test_compose_app_services_share_the_image_and_read_env_from_dotenv(compose):
    services = compose["services"]
    for name in (*APP_SERVICES, "migrate"):
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}, name
        assert "../.env" in service["env_file"], name
        assert service["environment"]["DATABASE_URL"].startswith("postgres://"), name
        assert service["environment"]["REDIS_URL"].startswith("redis://redis:6379"), name
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production", name
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name


def test_compose_commands_start_gunicorn_worker_beat_and_migrate_first(compose):
    services = compose["services"]
    assert services["web"]["command"] == ["gunicorn", "--config", "gunicorn.conf.py"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "deploy" not in services["beat"], "beat must never be replicated"


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "deploy" / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_dockerfile_is_multi_stage_non_root_and_runs_gunicorn():
    instructions = dockerfile_instructions()
    stages = [args for op, args in instructions if op == "FROM"]
    assert stages[0] == "python:3.11-slim AS builder"
    assert stages[-1].startswith("python:3.11-slim AS ")
    assert any(op == "COPY" and args.startswith("--from=builder") for op, args in instructions)
    assert any(op == "COPY" and "requirements.lock" in args for op, args in instructions)

    users = [args for op, args in instructions if op == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert ("EXPOSE", "8000") in instructions
    final_command = json.loads([args for op, args in instructions if op == "CMD"][-1])
    assert final_command == ["gunicorn", "--config", "gunicorn.conf.py"]

    collectstatic = [args for op, args in instructions if op == "RUN" and "collectstatic" in args]
    assert collectstatic and "SECRET_KEY=" in collectstatic[0]
    assert not any(op == "ENV" and "SECRET_KEY" in args for op, args in instructions), "no secret baked in"


def test_docker_build_context_keeps_secrets_and_local_state_out():
    ignored = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().split()
    assert {".env", ".git", ".venv", "db.sqlite3*"} <= set(ignored)


def test_procfile_declares_web_worker_beat_and_a_migrating_release():
    processes = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert set(processes) == {"release", "web", "worker", "beat"}
    assert "manage.py migrate" in processes["release"]
    assert "gunicorn --config gunicorn.conf.py" in processes["web"]
    assert "celery -A config worker" in processes["worker"]
    assert "celery -A config beat" in processes["beat"]
    for command in processes.values():
        shlex.split(command)  # well-formed shell words


def load_gunicorn_config(monkeypatch, tmp_path, **env: str) -> dict:
    for name in ("WEB_CONCURRENCY", "PORT", "BIND_ADDRESS", "GUNICORN_THREADS", "GUNICORN_MAX_REQUESTS",
                 "GUNICORN_KEEPALIVE", "GUNICORN_TIMEOUT", "GUNICORN_PRELOAD", "DATABASE_REPLICA_URL"):
        monkeypatch.delenv(name, raising=False)
    # Set here so loading the file does not point this process's /metrics at a fresh directory.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_config_reads_port_and_workers_from_the_environment(monkeypatch, tmp_path):
    config = load_gunicorn_config(monkeypatch, tmp_path, WEB_CONCURRENCY="3", PORT="9123")
    assert config["bind"] == "127.0.0.1:9123"
    assert config["workers"] == 3
    assert config["worker_class"] == "gthread" and config["threads"] == 4
    assert config["max_requests"] == 1000 and config["max_requests_jitter"] == 100
    assert config["graceful_timeout"] >= config["timeout"] > 0


def test_gunicorn_config_defaults_to_a_capped_worker_count(monkeypatch, tmp_path):
    config = load_gunicorn_config(monkeypatch, tmp_path, BIND_ADDRESS="0.0.0.0")
    cpus = config["_cpu_count"]()
    # Threaded workers by default: one process per CPU plus one, four threads each.
    assert config["workers"] == min(cpus + 1, config["MAX_DEFAULT_WORKERS"])
    assert (config["worker_class"], config["threads"]) == ("gthread", 4)
    assert config["bind"] == "0.0.0.0:8000"


def test_gunicorn_one_thread_means_sync_workers_two_per_cpu(monkeypatch, tmp_path):
    config = load_gunicorn_config(monkeypatch, tmp_path, GUNICORN_THREADS="1")
    assert (config["worker_class"], config["threads"]) == ("sync", 1)
    assert config["workers"] == min(2 * config["_cpu_count"]() + 1, config["MAX_DEFAULT_WORKERS"])


def test_gunicorn_preloads_the_app_and_freezes_it_before_each_fork(monkeypatch, tmp_path):
    assert load_gunicorn_config(monkeypatch, tmp_path)["preload_app"] is True
    assert load_gunicorn_config(monkeypatch, tmp_path, GUNICORN_PRELOAD="0")["preload_app"] is False

    config = load_gunicorn_config(monkeypatch, tmp_path)
    try:
        config["pre_fork"](None, None)
        # What the master allocated is out of the collector's reach, so workers' collections leave it shared.
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


class _Response:
    status = "201 Created"
    headers = [("Content-Type", "application/json"), ("X-Request-ID", "req-42")]
    sent = 17


def test_gunicorn_access_log_is_one_json_object_with_the_request_id(monkeypatch, tmp_path):
    from gunicorn.config import Config

    config = load_gunicorn_config(monkeypatch, tmp_path)
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = config["JsonLogger"](cfg)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.access_log.handlers = [handler]

    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/orders/checkout/", "REMOTE_ADDR": "10.0.0.5"}
    logger.access(_Response(), None, environ, datetime.timedelta(milliseconds=12.5))

    line = json.loads(stream.getvalue())
    assert line["request_id"] == "req-42"
    assert line["status"] == 201
    assert line["duration_ms"] == 12.5
    assert line["method"] == "POST" and line["path"] == "/orders/checkout/"
    assert line["logger"] == "gunicorn.access" and line["level"] == "INFO"


class _Server:
    """What gunicorn passes to ``when_ready``: only its logger is used."""

    def __init__(self, config):
        from gunicorn.config import Config

        self.log = config["JsonLogger"](Config())
        self.stream = io.StringIO()
        self.log.error_log.handlers = [logging.StreamHandler(self.stream)]


@pytest.mark.parametrize(("env", "budget"), [
    ({"WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "4"}, "3 workers x 4 threads x 1 = up to 12 connections"),
    ({"WEB_CONCURRENCY": "5", "GUNICORN_THREADS": "1", "DATABASE_REPLICA_URL": "postgres://replica/shop"},
     "5 workers x 1 threads x 2 = up to 10 connections"),
    ({"WEB_CONCURRENCY": "3"}, "3 workers x 4 threads x 1 = up to 12 connections"),
])
def test_make_serve_states_its_database_connection_budget(monkeypatch, tmp_path, env, budget):
    config = load_gunicorn_config(monkeypatch, tmp_path, **env)
    server = _Server(config)

    config["when_ready"](server)

    assert f"database connection budget: {budget}" in server.stream.getvalue()


def test_gunicorn_keeps_idle_connections_longer_than_a_balancer_does(monkeypatch, tmp_path):
    # A balancer reuses idle upstream connections for up to 60 s (AWS ALB, nginx): the node must not close first.
    assert load_gunicorn_config(monkeypatch, tmp_path)["keepalive"] > 60
    assert load_gunicorn_config(monkeypatch, tmp_path, GUNICORN_KEEPALIVE="120")["keepalive"] == 120


@pytest.mark.parametrize(("env", "message"), [
    ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY=0: at least 1 is expected"),
    ({"GUNICORN_THREADS": "four"}, "GUNICORN_THREADS='four': a whole number is expected"),
    ({"GUNICORN_TIMEOUT": "0"}, "GUNICORN_TIMEOUT=0: at least 1 is expected"),
])
def test_gunicorn_config_names_a_bad_setting_instead_of_serving_nothing(monkeypatch, tmp_path, env, message):
    with pytest.raises(SystemExit, match=message):
        load_gunicorn_config(monkeypatch, tmp_path, **env)


def test_gunicorn_config_names_a_metrics_directory_it_cannot_make(monkeypatch, tmp_path):
    (tmp_path / "a-file").write_text("")

    with pytest.raises(SystemExit, match=r"PROMETHEUS_MULTIPROC_DIR=.*a-file/metrics: cannot make this directory"):
        load_gunicorn_config(monkeypatch, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "a-file" / "metrics"))
