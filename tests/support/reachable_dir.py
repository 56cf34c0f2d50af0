"""A temporary folder that PostgreSQL's own account may enter (pytest's tmp_path sits under a
folder only its owner may enter, and PostgreSQL runs as an account of its own when we are root)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def reachable_dir(prefix: str) -> Generator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        folder.chmod(0o755)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
