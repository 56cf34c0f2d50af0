"""Service settings, grouped by concern and read from the environment in one place.

Settings are built once (``Settings.from_environ``) and passed to ``create_app``; nothing reads
the environment at import time, so tests build an app from their own values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlsplit

import msgspec

from cloudmetrics import __version__

# The repository's migrations/ folder, when running from a checkout. The image sets
# MIGRATIONS_DIR=/app/migrations instead.
_SOURCE_MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# The front end's build output (`make assets`) in a checkout. The image sets
# ASSETS_DIR=/app/web/dist instead.
_SOURCE_ASSETS_DIR = Path(__file__).resolve().parents[2] / "web" / "dist"

PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
NonNegativeInt = Annotated[int, msgspec.Meta(ge=0)]
Seconds = Annotated[float, msgspec.Meta(gt=0, le=300)]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

# Values that mean someone copied an example and forgot to fill it in.
_PLACEHOLDERS = ("changeme", "change-me", "changethis", "<", "example.invalid")


class SettingsError(ValueError):
    """A setting is missing or invalid; the message is one line naming the variable."""


class DatabaseSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: str = "postgresql://postgres@127.0.0.1:5432/cloudmetrics"
    # The pool opens connections on demand (no minimum), so the service starts and answers
    # /health while the database is down; /ready tells the load balancer.
    pool_max_size: PositiveInt = 10
    # Bounded wait for a pooled connection; past it the request gets a 503, never a hang.
    acquire_timeout: Seconds = 2.0
    connect_timeout: Seconds = 5.0
    # A statement of this API is small (a COPY of at most INGEST_MAX_POINTS points, a query of
    # at most QUERY_MAX_BUCKETS buckets) and takes milliseconds; one that runs this long means a
    # frozen or overloaded database. This bounds how long a request can wait on one before its
    # 503: command_timeout, plus up to acquire_timeout to hand the connection back.
    command_timeout: Seconds = 5.0
    # 0 disables prepared-statement caching, required behind a transaction pooler.
    statement_cache_size: NonNegativeInt = 100


class CacheSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: str = "redis://127.0.0.1:6379/0"
    socket_timeout: Seconds = 0.5
    key_prefix: str = "cloudmetrics:"
    # ElastiCache with cluster mode enabled needs a cluster-aware client that follows MOVED
    # redirects; a plain client would see most keys as errors (and so as cache misses).
    cluster: bool = False
    # Redis AUTH, kept out of the URL so the URL can live in plain configuration: ElastiCache's
    # auth token (no username) or an RBAC user's name and password. In AWS the password comes
    # from Secrets Manager as a task secret.
    username: str | None = None
    password: str | None = None


class ServerSettings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: Port = 8000
    workers: PositiveInt = 1
    # How long in-flight requests may take to finish after SIGTERM. ECS waits 30 s by default
    # before SIGKILL, so stay below that.
    graceful_shutdown_timeout: Seconds = 20.0
    # Peers (addresses or CIDR ranges) whose X-Forwarded-For/-Proto uvicorn believes: behind
    # the ALB, the ALB's subnets. Uvicorn walks X-Forwarded-For from the right past trusted
    # hops, so the client's address is the one the ALB appended; "*" would make it take the
    # left-most entry, which the client writes. Without it every client would share the ALB's
    # address (and its rate limit).
    forwarded_allow_ips: str = "127.0.0.1"
    # The whole request body must arrive within this many seconds of the app's first read, or
    # the request is answered 408 and its connection closed: uvicorn has no body-read timeout,
    # so without it a client that stalls (or trickles a byte a second) holds its request
    # forever. The largest accepted body (INGEST_MAX_BODY_BYTES, 5 MB) needs about 2 Mbit/s.
    request_body_timeout: Seconds = 20.0


class HealthSettings(msgspec.Struct, frozen=True, kw_only=True):
    # Each readiness check gets its own budget so one slow dependency cannot hide another.
    check_timeout: Seconds = 1.0


class LogSettings(msgspec.Struct, frozen=True, kw_only=True):
    level: LogLevel = "INFO"
    # JSON for machines; "console" is easier to read on a laptop.
    format: Literal["json", "console"] = "json"


class IngestSettings(msgspec.Struct, frozen=True, kw_only=True):
    # One batch is one transaction: these bound how long it holds locks and how much memory a
    # request may take before it is refused with a 413 (docs/api.md).
    max_points: PositiveInt = 10_000
    max_body_bytes: PositiveInt = 5 * 1024 * 1024
    # Points older or further ahead than this are refused: they are almost always clock bugs.
    past_window_seconds: PositiveInt = 7 * 24 * 3600
    future_window_seconds: PositiveInt = 10 * 60
    max_tags: NonNegativeInt = 16


class QuerySettings(msgspec.Struct, frozen=True, kw_only=True):
    # (end - start) / step past this is a 400: it bounds the work and the size of one answer.
    max_buckets: PositiveInt = 10_000
    # Metric catalogue pages stay cached at most this long, even if an invalidation is lost.
    catalogue_ttl_seconds: PositiveInt = 300
    # Remote read and Prometheus's label discovery: series one selector may select, and
    # samples one read request may return; past either the request is a 400, never half an
    # answer (docs/api.md).
    max_read_series: PositiveInt = 10_000
    max_read_samples: PositiveInt = 5_000_000


class BudgetSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Per-project defaults (metrics/budgets.py); `cloudmetrics projects budgets` overrides them
    per project. They keep one tenant from taking what every tenant shares: the database's CPU,
    memory and connections."""

    # Series in the dictionary, per project and per metric: a query over a metric reads every
    # one of its series, so the per-metric bound is what keeps a query's cost bounded.
    series_per_project: PositiveInt = 200_000
    series_per_metric: PositiveInt = 20_000
    # Series a project may create per minute, over every task (counted in Redis).
    new_series_per_minute: PositiveInt = 20_000
    # Queries a project may run at once over every task (counted in Redis); past it, 429.
    concurrent_queries: PositiveInt = 4
    # Server-side bound of one query's statements (SET LOCAL statement_timeout): below
    # DATABASE_COMMAND_TIMEOUT, so the database stops the work rather than the client giving up
    # on it while it runs on.
    query_timeout_seconds: Seconds = 4.0


class StorageSettings(msgspec.Struct, frozen=True, kw_only=True):
    # Days each resolution is kept (docs/adr/0014); `cloudmetrics maintain` drops the time
    # partitions past them. Rollups outlive raw points so that long dashboards keep working.
    raw_retention_days: PositiveInt = 30
    minute_rollup_retention_days: PositiveInt = 180
    hour_rollup_retention_days: PositiveInt = 730
    # Partitions are created this far past the accepted ingest window, so ingest keeps working
    # for that long even if no maintenance run happens.
    partitions_ahead_days: PositiveInt = 7


class RateLimitSettings(msgspec.Struct, frozen=True, kw_only=True):
    # Requests per API key per minute on /v1, counted in Redis across all tasks;
    # 0 turns rate limiting off.
    per_minute: NonNegativeInt = 1200


class IdentitySettings(msgspec.Struct, frozen=True, kw_only=True):
    # Each task remembers a key's lookup this long. It bounds how long a revoked key keeps
    # working on every task, which docs/api.md promises is at most 5 s.
    key_cache_ttl_seconds: Annotated[float, msgspec.Meta(gt=0, le=5)] = 2.0
    key_cache_max_entries: PositiveInt = 10_000
    # Signs the CSRF tokens of the sign-in and key management endpoints. Every task must share
    # it; in AWS it reaches the task as a secret. Unset, each process makes up its own (fine for
    # one local process, and said in a warning).
    session_secret: str | None = None
    # Secure cookies: on wherever the service is reached over TLS (the ALB sets it).
    secure_cookies: bool = False
    session_max_age_seconds: PositiveInt = 8 * 3600
    # Failed sign-ins per (account, client address) and per client address in a 15-minute
    # window (identity/sign_in_limits.py): never per account alone, so nobody can aim a lockout.
    sign_in_attempts_per_account: PositiveInt = 10
    sign_in_attempts_per_address: PositiveInt = 30
    # Threads that check passwords (argon2id) off the event loop, and how many more sign-ins
    # may wait for one; past both, a sign-in is a 429 `sign-in-busy` at once.
    sign_in_hash_threads: PositiveInt = 1
    sign_in_hash_queue: NonNegativeInt = 4


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    cache: CacheSettings = msgspec.field(default_factory=CacheSettings)
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    health: HealthSettings = msgspec.field(default_factory=HealthSettings)
    log: LogSettings = msgspec.field(default_factory=LogSettings)
    ingest: IngestSettings = msgspec.field(default_factory=IngestSettings)
    query: QuerySettings = msgspec.field(default_factory=QuerySettings)
    rate_limit: RateLimitSettings = msgspec.field(default_factory=RateLimitSettings)
    storage: StorageSettings = msgspec.field(default_factory=StorageSettings)
    identity: IdentitySettings = msgspec.field(default_factory=IdentitySettings)
    budgets: BudgetSettings = msgspec.field(default_factory=BudgetSettings)
    migrations_dir: str = str(_SOURCE_MIGRATIONS_DIR)
    assets_dir: str = str(_SOURCE_ASSETS_DIR)
    version: str = __version__
    # The git revision the build came from; reported as releaseId by the health endpoints.
    release_id: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (see ENVIRONMENT for the names)."""
        env = os.environ if environ is None else environ
        tree: dict[str, Any] = {}
        for variable, (group, field) in ENVIRONMENT.items():
            raw = env.get(variable)
            if raw is None or raw == "":
                continue
            target = tree.setdefault(group, {}) if group else tree
            value = raw.strip()
            target[field] = value.upper() if variable in _CASE_INSENSITIVE else value
        try:
            settings = msgspec.convert(tree, type=cls, strict=False)
        except msgspec.ValidationError as error:
            raise SettingsError(_explain(error)) from None
        settings.validate()
        return settings

    def validate(self) -> None:
        """Checks msgspec's types cannot express; raise SettingsError on the first problem."""
        _require_scheme("DATABASE_URL", self.database.url, ("postgresql://", "postgres://"))
        _require_scheme("REDIS_URL", self.cache.url, ("redis://", "rediss://", "unix://"))
        _require_root_certificate(self.database.url)
        secret = self.identity.session_secret
        if secret is not None and (len(secret) < 32 or _is_placeholder(secret)):
            raise SettingsError("invalid SESSION_SECRET: use at least 32 random characters")
        # The drivers parse URLs only when they first connect, and then fail with a traceback
        # (asyncpg: int('notaport')); check the ports here so a typo is one line at start-up.
        _require_numeric_ports("DATABASE_URL", self.database.url)
        _require_numeric_ports("REDIS_URL", self.cache.url)
        if self.budgets.query_timeout_seconds >= self.database.command_timeout:
            raise SettingsError(
                "invalid QUERY_TIMEOUT: it must be shorter than DATABASE_COMMAND_TIMEOUT, or the "
                "client gives up on a query the database is still running"
            )
        if self.storage.raw_retention_days * 86400 < self.ingest.past_window_seconds:
            raise SettingsError(
                "invalid RAW_RETENTION_DAYS: it must cover INGEST_PAST_WINDOW, or accepted "
                "points would be dropped by the next maintenance run"
            )


# Environment variable -> (settings group, field). The single place that names them.
ENVIRONMENT: dict[str, tuple[str | None, str]] = {
    "DATABASE_URL": ("database", "url"),
    "DATABASE_POOL_MAX_SIZE": ("database", "pool_max_size"),
    "DATABASE_ACQUIRE_TIMEOUT": ("database", "acquire_timeout"),
    "DATABASE_CONNECT_TIMEOUT": ("database", "connect_timeout"),
    "DATABASE_COMMAND_TIMEOUT": ("database", "command_timeout"),
    "DATABASE_STATEMENT_CACHE_SIZE": ("database", "statement_cache_size"),
    "REDIS_URL": ("cache", "url"),
    "REDIS_SOCKET_TIMEOUT": ("cache", "socket_timeout"),
    "REDIS_KEY_PREFIX": ("cache", "key_prefix"),
    "REDIS_CLUSTER": ("cache", "cluster"),
    "REDIS_USERNAME": ("cache", "username"),
    "REDIS_PASSWORD": ("cache", "password"),
    "HOST": ("server", "host"),
    "PORT": ("server", "port"),
    "WEB_CONCURRENCY": ("server", "workers"),
    "GRACEFUL_SHUTDOWN_TIMEOUT": ("server", "graceful_shutdown_timeout"),
    "FORWARDED_ALLOW_IPS": ("server", "forwarded_allow_ips"),
    "REQUEST_BODY_TIMEOUT": ("server", "request_body_timeout"),
    "HEALTH_CHECK_TIMEOUT": ("health", "check_timeout"),
    "LOG_LEVEL": ("log", "level"),
    "LOG_FORMAT": ("log", "format"),
    "INGEST_MAX_POINTS": ("ingest", "max_points"),
    "INGEST_MAX_BODY_BYTES": ("ingest", "max_body_bytes"),
    "INGEST_PAST_WINDOW": ("ingest", "past_window_seconds"),
    "INGEST_FUTURE_WINDOW": ("ingest", "future_window_seconds"),
    "INGEST_MAX_TAGS": ("ingest", "max_tags"),
    "QUERY_MAX_BUCKETS": ("query", "max_buckets"),
    "CATALOGUE_CACHE_TTL": ("query", "catalogue_ttl_seconds"),
    "READ_MAX_SERIES": ("query", "max_read_series"),
    "READ_MAX_SAMPLES": ("query", "max_read_samples"),
    "RATE_LIMIT_PER_MINUTE": ("rate_limit", "per_minute"),
    "RAW_RETENTION_DAYS": ("storage", "raw_retention_days"),
    "MINUTE_ROLLUP_RETENTION_DAYS": ("storage", "minute_rollup_retention_days"),
    "HOUR_ROLLUP_RETENTION_DAYS": ("storage", "hour_rollup_retention_days"),
    "PARTITIONS_AHEAD_DAYS": ("storage", "partitions_ahead_days"),
    "API_KEY_CACHE_TTL": ("identity", "key_cache_ttl_seconds"),
    "API_KEY_CACHE_MAX_ENTRIES": ("identity", "key_cache_max_entries"),
    "SESSION_SECRET": ("identity", "session_secret"),
    "SESSION_COOKIE_SECURE": ("identity", "secure_cookies"),
    "SESSION_MAX_AGE": ("identity", "session_max_age_seconds"),
    "SIGN_IN_ATTEMPTS_PER_ACCOUNT": ("identity", "sign_in_attempts_per_account"),
    "SIGN_IN_ATTEMPTS_PER_ADDRESS": ("identity", "sign_in_attempts_per_address"),
    "SIGN_IN_HASH_THREADS": ("identity", "sign_in_hash_threads"),
    "SIGN_IN_HASH_QUEUE": ("identity", "sign_in_hash_queue"),
    "SERIES_PER_PROJECT": ("budgets", "series_per_project"),
    "SERIES_PER_METRIC": ("budgets", "series_per_metric"),
    "NEW_SERIES_PER_MINUTE": ("budgets", "new_series_per_minute"),
    "QUERY_CONCURRENCY_PER_PROJECT": ("budgets", "concurrent_queries"),
    "QUERY_TIMEOUT": ("budgets", "query_timeout_seconds"),
    "MIGRATIONS_DIR": (None, "migrations_dir"),
    "ASSETS_DIR": (None, "assets_dir"),
    "RELEASE_ID": (None, "release_id"),
}


# Names people write in either case ("info", "INFO").
_CASE_INSENSITIVE = frozenset({"LOG_LEVEL"})


def _explain(error: msgspec.ValidationError) -> str:
    """Turn msgspec's '... - at `$.database.url`' into a message naming the variable."""
    message = str(error)
    reason, _, path = message.partition(" - at `$.")
    path = path.rstrip("`")
    for variable, (group, field) in ENVIRONMENT.items():
        if path == (f"{group}.{field}" if group else field):
            return f"invalid {variable}: {reason}"
    return f"invalid settings: {message}"


def _is_placeholder(value: str) -> bool:
    return any(marker in value.lower() for marker in _PLACEHOLDERS)


def _require_scheme(variable: str, value: str, schemes: tuple[str, ...]) -> None:
    if not value.startswith(schemes):
        raise SettingsError(f"invalid {variable}: must start with one of {', '.join(schemes)}")
    if any(marker in value.lower() for marker in _PLACEHOLDERS):
        raise SettingsError(f"invalid {variable}: it still holds a placeholder value")


def _require_root_certificate(url: str) -> None:
    """sslmode=verify-ca/verify-full needs the CA bundle; say so at start-up, not per request.

    asyncpg reads sslrootcert from the URL (or PGSSLROOTCERT, then ~/.postgresql/root.crt).
    """
    query = parse_qs(urlsplit(url).query)
    mode = query.get("sslmode", [""])[-1]
    if mode not in ("verify-ca", "verify-full"):
        return
    default = Path.home() / ".postgresql" / "root.crt"
    bundle = query.get("sslrootcert", [os.environ.get("PGSSLROOTCERT", str(default))])[-1]
    if not Path(bundle).is_file():
        raise SettingsError(
            f"invalid DATABASE_URL: sslmode={mode} needs the server's CA bundle, "
            f"and {bundle} is not a file"
        )


def _require_numeric_ports(variable: str, url: str) -> None:
    """Every host of the URL (libpq accepts "h1:5432,h2:5433") has no port or a valid one."""
    netloc = urlsplit(url).netloc.rpartition("@")[2]
    for host in netloc.split(","):
        # "[::1]:5432": the port follows the bracketed address, if anything does.
        _, colon, port = host.rpartition("]")[2].rpartition(":")
        if colon and not (port.isdigit() and 1 <= int(port) <= 65535):
            raise SettingsError(
                f"invalid {variable}: port {port!r} is not a number from 1 to 65535"
            )
