"""Settings: the one reader of the environment.

`Settings.from_env()` is called once per process at its edge (the app factory, the worker and
cron start-up, the CLI, gunicorn's config) and the frozen object is passed in from there; tests
build their own with `Settings.from_env({...})` or `dataclasses.replace`, never by patching
`os.environ`. Every field names its environment variable and a sentence for the README's
configuration table, which a test keeps equal to this class (tests/unit/infra/test_settings.py).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
QUEUE_NAME = "palaute"
# Results releases, each survey's cut a job of its own (workers.jobs.cut_survey_releases): a
# national cut audits for minutes, and its own worker process (the Procfile's `releases`) keeps
# it from holding back the fold, which must stay within seconds (docs/reliability.md).
RELEASE_QUEUE_NAME = "palaute-releases"
RELEASE_MODES = ("live", "hourly", "daily")
SMTP_TLS_MODES = ("none", "starttls", "ssl")
DEV_SMTP_PORT = 8025


def _setting(env: str, doc: str, default: Any = MISSING, shown: str | None = None) -> Any:
    """A field read from `env`; `shown` is the default as the README states it."""
    meta = {"env": env, "doc": doc, "shown": shown if shown is not None else f"`{default}`"}
    if default is MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    instance_dir: Path = _setting(
        "PALAUTE_INSTANCE_DIR",
        "folder for development state: the SQLite file, the embedded Redis socket, the "
        "generated secret key",
        shown="`instance/` in the checkout")
    database_url: str = _setting(
        "DATABASE_URL",
        "SQLAlchemy URL; `postgresql://…` is used with psycopg 3",
        default="", shown="SQLite at `instance/palaute.db`")
    redis_url: str = _setting(
        "REDIS_URL",
        "Redis for the RQ queue, e.g. `redis://host:6379/0`",
        default="", shown="embedded Redis on `instance/redis.sock`")
    secret_key: str = _setting(
        "SECRET_KEY",
        "keys the CSRF tokens, signs the one-time form tokens, keys the audit log's hashes of "
        "unknown e-mail addresses and the marks of used invitation links, and seals mailed "
        "invitations; set it in production, the same in every process, and don't change it "
        "while a staff survey is open (its used links would open again)",
        default="", shown="a random key kept in `instance/secret_key`")
    port: int = _setting("PORT", "port of the web server", default=5000)
    bind: str = _setting("BIND", "full gunicorn bind address, overrides `PORT`", default="",
                         shown="`127.0.0.1:$PORT`")
    web_concurrency: int = _setting("WEB_CONCURRENCY", "gunicorn worker processes", default=0,
                                    shown="2 × cores + 1")
    gunicorn_timeout: int = _setting(
        "GUNICORN_TIMEOUT", "seconds before gunicorn restarts a stuck web worker", default=30)
    gunicorn_access_log: str = _setting(
        "GUNICORN_ACCESS_LOG",
        "where gunicorn writes access lines (`-` for stdout); they hold client addresses and "
        "raw paths, so they are off unless set", default="", shown="off")
    forwarded_allow_ips: str = _setting(
        "FORWARDED_ALLOW_IPS", "proxies whose `X-Forwarded-*` headers gunicorn trusts",
        default="127.0.0.1")
    session_cookie_secure: bool = _setting(
        "SESSION_COOKIE_SECURE",
        "`1` behind HTTPS: every cookie (language, form, admin session) is then sent over HTTPS "
        "only, the admin session's as `__Host-palaute_admin`",
        default=False, shown="`0`")
    rate_limit_submit: str = _setting(
        "RATE_LIMIT_SUBMIT",
        "survey answers one client address may send to one survey, in Flask-Limiter's notation "
        "(`N/minute;M/hour`), counted in Redis; `off`: no limit. Chosen for many honest "
        "respondents behind one address (docs/security.md)",
        default="60/minute;2000/hour")
    survey_cache_s: float = _setting(
        "PALAUTE_SURVEY_CACHE_S",
        "seconds a web process keeps a survey between requests (a submission always checks "
        "the current one)", default=1.0, shown="`1`")
    db_idle_ping_s: float = _setting(
        "PALAUTE_DB_IDLE_PING_S",
        "a PostgreSQL connection rested this long is checked before use", default=1.0,
        shown="`1`")
    sqlite_busy_timeout_s: float = _setting(
        "PALAUTE_SQLITE_BUSY_TIMEOUT_S",
        "seconds a write waits for a locked SQLite database before it fails (then 503)",
        default=10.0, shown="`10`")
    fold_batch_size: int = _setting(
        "PALAUTE_FOLD_BATCH_SIZE", "responses a worker folds in one transaction",
        default=20_000, shown="`20000`")
    results_release: str = _setting(
        "RESULTS_RELEASE",
        "when results become visible: `daily` or `hourly` releases (docs/privacy.md), or `live` "
        "(figures as folded: development and tests only, unsafe against a reader who polls)",
        default="daily")
    burst_factor: float = _setting(
        "PALAUTE_BURST_FACTOR",
        "a survey's submissions in one county and hour above this many times its median of "
        "the previous 24 hours are flagged as a burst (log warning, admin queue page)",
        default=5.0, shown="`5`")
    burst_floor: int = _setting(
        "PALAUTE_BURST_FLOOR",
        "an hour with at most this many submissions to a survey in one county is never a burst",
        default=30)
    burst_flush_s: float = _setting(
        "PALAUTE_BURST_FLUSH_S",
        "seconds a web process sums its submission counts before adding them to Redis (a "
        "burst is seen that much later; `0`: at every submission)", default=1.0, shown="`1`")
    admin_idle_timeout_min: float = _setting(
        "ADMIN_IDLE_TIMEOUT_MIN",
        "minutes without a request after which an administrator's session ends", default=30.0,
        shown="`30`")
    admin_absolute_timeout_h: float = _setting(
        "ADMIN_ABSOLUTE_TIMEOUT_H",
        "hours after sign-in after which an administrator's session ends however busy",
        default=12.0, shown="`12`")
    audit_retention_days: int = _setting(
        "AUDIT_RETENTION_DAYS",
        "days the audit log (admin actions, sign-ins) is kept; older events are deleted by the "
        "daily retention job", default=730)
    export_dir: str = _setting(
        "PALAUTE_EXPORT_DIR",
        "folder for the large exports made by the workers (all surveys × all months), kept 24 h; "
        "the web processes serve them from here, so share it between web and worker hosts",
        default="", shown="`instance/exports`")
    smtp_host: str = _setting(
        "SMTP_HOST",
        "SMTP server for invitations and password resets; unset: development mail goes to the "
        "local server `palaute serve` starts, which writes `.eml` files to `instance/mail/`",
        default="", shown="`127.0.0.1` (the development mail server)")
    smtp_port: int = _setting("SMTP_PORT", "SMTP port", default=0,
                              shown="`8025` for development, else 25, 587 or 465 by `SMTP_TLS`")
    smtp_tls: str = _setting(
        "SMTP_TLS", "`none`, `starttls` (upgrade after connecting) or `ssl` (TLS from the "
        "first byte); certificates are verified", default="none")
    smtp_user: str = _setting("SMTP_USER", "SMTP user name; empty: no SMTP authentication",
                              default="", shown="none")
    smtp_password: str = _setting("SMTP_PASSWORD", "SMTP password (never logged)", default="",
                                  shown="none")
    mail_from: str = _setting("MAIL_FROM", "sender address of the mails Palaute sends",
                              default="palaute@localhost")
    invite_ttl_h: float = _setting(
        "INVITE_TTL_H", "hours an invitation link is valid", default=72.0, shown="`72`")
    reset_ttl_min: float = _setting(
        "RESET_TTL_MIN", "minutes a password-reset link is valid", default=60.0, shown="`60`")
    public_url: str = _setting(
        "PUBLIC_URL",
        "the address people use to reach Palaute (`https://palaute.example.fi`), for the links "
        "in mails; unset: the address of the request that caused the mail", default="",
        shown="the request's")
    oidc_issuer: str = _setting(
        "OIDC_ISSUER",
        "OpenID Connect issuer (`https://login.microsoftonline.com/<tenant>/v2.0`); set with "
        "the client id and secret to offer sign-in with it (docs/security.md)", default="",
        shown="off")
    oidc_client_id: str = _setting("OIDC_CLIENT_ID", "OpenID Connect client id", default="",
                                   shown="none")
    oidc_client_secret: str = _setting("OIDC_CLIENT_SECRET",
                                       "OpenID Connect client secret (never logged)",
                                       default="", shown="none")
    log_level: str = _setting(
        "PALAUTE_LOG_LEVEL", "log level of every process (`debug` shows the routine sweeps)",
        default="info")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from `environ` (default: the process environment)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f.metadata["env"])
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f.type, raw)
        instance = Path(values.pop("instance_dir", PROJECT_ROOT / "instance"))
        values["database_url"] = normalise_database_url(values.get("database_url", ""),
                                                        instance)
        if values.get("smtp_tls", "none") not in SMTP_TLS_MODES:
            raise ValueError(f"SMTP_TLS must be one of {', '.join(SMTP_TLS_MODES)}")
        if values.get("results_release", "daily") not in RELEASE_MODES:
            raise ValueError(f"RESULTS_RELEASE must be one of {', '.join(RELEASE_MODES)}")
        return cls(instance_dir=instance, **values)

    def with_overrides(self, **changes: Any) -> Settings:
        from dataclasses import replace

        return replace(self, **changes)

    @property
    def exports_path(self) -> Path:
        return Path(self.export_dir) if self.export_dir else self.instance_dir / "exports"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def smtp_endpoint(self) -> tuple[str, int]:
        """(host, port) of the SMTP server: the settings', or the development server's."""
        if not self.smtp_host:
            return "127.0.0.1", self.smtp_port or DEV_SMTP_PORT
        default = {"none": 25, "starttls": 587, "ssl": 465}[self.smtp_tls]
        return self.smtp_host, self.smtp_port or default

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    def gunicorn_bind(self) -> str:
        return self.bind or f"127.0.0.1:{self.port}"

    def gunicorn_workers(self) -> int:
        return self.web_concurrency or (os.cpu_count() or 1) * 2 + 1

    def secret(self) -> str:
        """SECRET_KEY, or a random key kept in the instance folder (development), shared by
        every process of this checkout."""
        if self.secret_key:
            return self.secret_key
        path = self.instance_dir / "secret_key"
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def environment(self) -> dict[str, str]:
        """These settings as environment variables, for child processes (honcho, tests)."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in ("", None) or (f.name == "web_concurrency" and not value):
                continue
            out[f.metadata["env"]] = ("1" if value else "0") if isinstance(value, bool) \
                else str(value)
        return out


def _convert(type_name: Any, raw: str) -> Any:
    name = type_name if isinstance(type_name, str) else getattr(type_name, "__name__", "")
    if name == "bool":
        return _flag(raw)
    if name == "int":
        return int(raw)
    if name == "float":
        return float(raw)
    return raw


def normalise_database_url(url: str, instance_dir: Path) -> str:
    """The URL SQLAlchemy should use: psycopg 3 named for PostgreSQL, SQLite in the instance
    folder when none is given."""
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    if url:
        return url
    instance_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{instance_dir / 'palaute.db'}"


def documented() -> list[tuple[str, str, str]]:
    """(variable, meaning, default) for each setting, in the README's order."""
    return [(f.metadata["env"], f.metadata["doc"], f.metadata["shown"]) for f in fields(Settings)]


def readme_table() -> str:
    """The README's configuration table, as this class documents it."""
    rows = ["| variable | meaning | default |", "| --- | --- | --- |"]
    rows += [f"| `{env}` | {doc} | {shown} |" for env, doc, shown in documented()]
    return "\n".join(rows)


if __name__ == "__main__":  # `python -m surveys.infra.settings` prints the README table
    print(readme_table())
