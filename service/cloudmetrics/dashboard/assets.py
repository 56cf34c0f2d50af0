"""The front end's built files (web/dist): their fingerprinted names and how they are served.

`npm run build` names every file after a hash of its content and writes manifest.json, so a
URL never changes meaning: the files are cached for a year, immutable, by browsers and
CloudFront alike, and a new build is simply new URLs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import structlog
from litestar import Router, static_files
from litestar.datastructures import CacheControlHeader

from cloudmetrics.http.compression import page_compression

log = structlog.get_logger(__name__)

ASSETS_PATH = "/assets"
IMMUTABLE = CacheControlHeader(public=True, max_age=365 * 24 * 3600, immutable=True)


class AssetsMissing(RuntimeError):
    """The front end was not built; the message says how to build it."""


MISSING_HINT = (
    "build the front end with `make assets` (or set ASSETS_DIR to a built web/dist); "
    "until then pages are served unstyled and without their script"
)


@dataclass(frozen=True, slots=True)
class Assets:
    directory: Path
    files: dict[str, str]

    @classmethod
    def load(cls, directory: Path) -> Assets:
        manifest = directory / "manifest.json"
        try:
            files = json.loads(manifest.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AssetsMissing(f"{manifest} is missing: {MISSING_HINT}") from None
        if not isinstance(files, dict) or not all(
            isinstance(key, str) and isinstance(value, str)
            for key, value in files.items()  # pyright: ignore[reportUnknownVariableType]
        ):
            raise AssetsMissing(f"{manifest} does not map names to files")
        return cls(directory=directory, files=dict(files))  # pyright: ignore[reportUnknownArgumentType]

    @classmethod
    def load_or_none(cls, directory: Path) -> Assets:
        """The built assets, or none at all (logged) so that the API serves without them.

        A checkout where nobody ran `make assets` (an API-only test run, say) still starts; the
        pages then come without styles and script, which they are built to survive.
        """
        try:
            return cls.load(directory)
        except AssetsMissing as error:
            log.warning("assets_missing", reason=str(error))
            return cls(directory=directory, files={})

    def url(self, name: str) -> str | None:
        """The URL of a logical asset such as ``app.js``; None if the front end is not built."""
        file_name = self.files.get(name)
        return f"{ASSETS_PATH}/{file_name}" if file_name else None

    def router(self) -> Router:
        return static_files.create_static_files_router(  # pyright: ignore[reportUnknownMemberType]
            path=ASSETS_PATH,
            directories=[self.directory],
            cache_control=IMMUTABLE,
            include_in_schema=False,
            name="assets",
            middleware=[page_compression()],
        )


__all__ = ["ASSETS_PATH", "IMMUTABLE", "Assets", "AssetsMissing"]
