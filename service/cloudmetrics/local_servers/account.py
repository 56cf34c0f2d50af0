"""The account PostgreSQL runs under when we are root: PostgreSQL refuses to run as root.

A system account of its own (no login shell, no home), created once with useradd. Nothing above
the data directory or the programs is opened up for it: if it cannot reach them, the error names
the folder, and fixing that is the developer's choice, not ours.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudmetrics.local_servers.programs import LocalServersUnavailable

ACCOUNT_NAME = "cloudmetrics-postgres"


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int


def server_account() -> Account | None:
    """The account to run PostgreSQL as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(ACCOUNT_NAME)
    except KeyError:
        _create_account()
        entry = pwd.getpwnam(ACCOUNT_NAME)
    return Account(ACCOUNT_NAME, entry.pw_uid, entry.pw_gid)


def _create_account() -> None:
    useradd = shutil.which("useradd")
    if useradd is None:
        raise LocalServersUnavailable(
            "PostgreSQL refuses to run as root and there is no useradd to create the account "
            f"{ACCOUNT_NAME} for it: run as another user, or point DATABASE_URL at a server"
        )
    nologin = shutil.which("nologin") or "/usr/sbin/nologin"
    result = subprocess.run(  # noqa: S603 - useradd with our own arguments
        [
            useradd,
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            nologin,
            "--comment",
            "CloudMetrics embedded PostgreSQL",
            ACCOUNT_NAME,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    # Another process may have created it in the meantime (the suite's workers start together).
    if result.returncode != 0 and "already exists" not in result.stderr:
        raise LocalServersUnavailable(
            f"could not create the account {ACCOUNT_NAME}: {result.stderr.strip()}"
        )


def give(path: Path, account: Account | None) -> None:
    """Make ``account`` the owner of ``path`` (nothing to do when we are that account)."""
    if account is not None:
        os.chown(path, account.uid, account.gid)


def require_reachable(path: Path, account: Account | None) -> None:
    """Fail with the folder to fix if ``account`` cannot pass through every folder above ``path``
    (as for a checkout under /root, which only root may enter)."""
    if account is None:
        return
    for folder in path.resolve().parents:
        if not folder.exists():
            continue  # made by us, with rights others may use
        info = folder.stat()
        if info.st_uid == account.uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid == account.gid:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            raise LocalServersUnavailable(
                f"PostgreSQL runs as {account.name} (it refuses root), which may not enter "
                f"{folder} to reach {path}: put the checkout where other users may enter, "
                "run as another user, or point DATABASE_URL at a server"
            )


def run_as(
    account: Account | None,
    command: Sequence[str],
    **options: Any,  # noqa: ANN401 - subprocess.run's own keyword arguments
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as ``account`` (with no supplementary groups), output captured."""
    if account is not None:
        # From "/": PostgreSQL's programs resolve the current folder, which may be one the
        # account cannot enter.
        options |= {"user": account.uid, "group": account.gid, "extra_groups": [], "cwd": "/"}
    return subprocess.run(  # noqa: S603 - our servers' programs, our arguments
        list(command), capture_output=True, text=True, check=False, **options
    )
