"""`palaute serve`: web, the workers and cron together (the Procfile, run by honcho)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from surveys.infra.embedded_redis import EmbeddedRedis
from surveys.infra.mail import DevMailServer
from surveys.infra.settings import PROJECT_ROOT

from ..extensions import settings


def banner(base: str, redis_url: str, database_url: str, release: str,
           mail: str = "") -> str:
    """What a newcomer needs after `make run`: where to go, and where things are."""
    db = "SQLite (instance/palaute.db)" if database_url.startswith("sqlite") \
        else database_url.split("@")[-1]
    return "\n".join([
        "",
        "  Palaute is running.",
        f"    answer the demo survey   {base}/fi/s/asiakaskokemus-2026",
        f"    its results (JSON)       {base}/api/v1/surveys/asiakaskokemus-2026/results",
        f"    results page             {base}/fi/results/asiakaskokemus-2026?region=17",
        f"    admin                    {base}/fi/admin/surveys",
        f"    database                 {db}",
        f"    Redis                    {redis_url}",
        *([f"    mail (invitations, resets) {mail}"] if mail else []),
        f"    results release          {release}"
        + ("  (figures as folded, for the demo: unsafe in production, see docs/privacy.md)"
           if release == "live" else ""),
        "  Logs below: warnings and errors only (PALAUTE_LOG_LEVEL=info or debug for more).",
        "  Ctrl+C stops everything.",
        "",
    ])


@click.command("serve")
@with_appcontext
@click.option("--procfile", default=str(PROJECT_ROOT / "Procfile"), show_default=True)
def serve(procfile: str) -> None:
    """Start web, the workers and cron (the Procfile) with honcho; Redis embedded if REDIS_URL
    unset."""
    config = settings()
    env = dict(os.environ)
    embedded = None
    redis_url = config.redis_url
    if not redis_url:
        embedded = EmbeddedRedis(config.instance_dir)
        redis_url = embedded.start()
    env.update(config.environment())
    env["REDIS_URL"] = redis_url
    env["DATABASE_URL"] = config.database_url
    env["PORT"] = str(config.port)
    # Development: only what matters on the console, unless asked for more (the environment's
    # PALAUTE_LOG_LEVEL; config.environment() above holds the default, info, which it replaces).
    env["PALAUTE_LOG_LEVEL"] = os.environ.get("PALAUTE_LOG_LEVEL") or "warning"
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    host = config.gunicorn_bind().rsplit(":", 1)[0]
    mail_server = None
    if config.smtp_host:
        mail = f"SMTP {config.smtp_endpoint()[0]}:{config.smtp_endpoint()[1]}"
    else:
        # Development: a real SMTP server that keeps every mail as a file.
        mail_host, mail_port = config.smtp_endpoint()
        try:
            mail_server = DevMailServer(config.instance_dir / "mail", mail_host,
                                        mail_port).start()
            mail = f"{mail_server.folder}/*.eml  (SMTP {mail_host}:{mail_port})"
        except (OSError, RuntimeError) as exc:  # the port is taken (another checkout's?)
            mail = (f"nowhere: SMTP {mail_host}:{mail_port} could not be opened "
                    f"({type(exc).__name__}); set SMTP_PORT to a free port")
    click.echo(banner(f"http://{host}:{config.port}", redis_url, config.database_url,
                      config.results_release, mail))
    honcho = subprocess.Popen([sys.executable, "-m", "honcho", "--no-colour", "-f", procfile,
                               "-d", str(PROJECT_ROOT), "start"], env=env)

    def forward(signum, _frame):
        # A supervisor's SIGTERM to this process alone must still stop every process honcho runs.
        honcho.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    try:
        code = honcho.wait()
    finally:
        if embedded:
            embedded.stop()
        if mail_server:
            mail_server.stop()
    raise SystemExit(code)
