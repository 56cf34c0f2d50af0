"""What `make up` says to a newcomer, in plain text: where the service is and what to do first.

These are lines for a person at a terminal, so they are printed, not logged as JSON events.
"""

from __future__ import annotations

from cloudmetrics.settings import ServerSettings

# Addresses that mean "every interface": a browser on the same machine reaches them on loopback.
_ANY_ADDRESS = {"0.0.0.0", "::", ""}  # noqa: S104 - compared, never bound


def local_url(server: ServerSettings) -> str:
    """The address a browser on this machine opens to reach the service."""
    host = "127.0.0.1" if server.host in _ANY_ADDRESS else server.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{server.port}"


def first_steps(url: str) -> str:
    """Printed by `prestart` while the database has neither a user nor an API key."""
    return f"""\
No user or API key exists yet; every /v1 call will be refused (401). Create the first ones:
  .venv/bin/cloudmetrics projects create my-project
  .venv/bin/cloudmetrics users create you@example.com --project my-project --role owner
  .venv/bin/cloudmetrics keys create --project my-project --scope read,write
then sign in at {url}/ and call the API with `Authorization: Bearer <the key printed last>`
(README.md, "Quickstart", has a curl that writes points)."""


def serving(url: str) -> str:
    return f"CloudMetrics serves {url}/ (sign in there; the API's reference is at {url}/schema)"


# A notice, not a warning: on a laptop a secret made at start is what one wants. The estate
# always provides SESSION_SECRET (infra/), so a deployment never reads this.
LOCAL_SIGN_IN_NOTICE = (
    "SESSION_SECRET is not set, so this server keeps a secret of its own in Redis, shared by "
    "its workers. That suits local use; a deployment sets SESSION_SECRET."
)
