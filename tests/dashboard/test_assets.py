"""The built front end: fingerprinted files, cached for a year, and a clear error if unbuilt."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.dashboard.assets import Assets, AssetsMissing
from cloudmetrics.settings import Settings
from tests.support.settings import make_settings

BUILT = Path(Settings().assets_dir)


def test_every_built_file_is_named_after_its_content() -> None:
    manifest = json.loads((BUILT / "manifest.json").read_text())
    assert {"app.js", "app.css", "swagger-ui-bundle.js", "swagger-init.js"} <= manifest.keys()
    for logical, file_name in manifest.items():
        stem, _, suffix = logical.rpartition(".")
        match = re.fullmatch(rf"{re.escape(stem)}\.([0-9a-f]{{16}})\.{suffix}", file_name)
        assert match, file_name
        digest = hashlib.sha256((BUILT / file_name).read_bytes()).hexdigest()
        assert digest.startswith(match.group(1)), f"{file_name} does not match its content"


def test_an_unbuilt_front_end_is_named_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(AssetsMissing, match="make assets"):
        Assets.load(tmp_path)


async def test_the_service_starts_without_a_built_front_end(
    migrated_database_url: str, redis_url: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(migrated_database_url, redis_url, assets_dir=str(tmp_path)))
    async with AsyncTestClient(app) as client:
        assert (await client.get("/health")).status_code == 200
        docs = await client.get("/schema")
        assert docs.status_code == 200
        assert "make assets" in docs.text
        assert "/assets/" not in docs.text


async def test_assets_are_immutable_and_compressed(client: AsyncTestClient[Litestar]) -> None:
    assets = Assets.load(BUILT)
    url = assets.url("app.js")
    assert url is not None
    response = await client.get(url, headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "max-age=31536000, public, immutable"
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.content == (BUILT / assets.files["app.js"]).read_bytes()


async def test_an_unknown_asset_is_a_404(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/assets/app.0000000000000000.js")
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("cache-control", "")


async def test_the_api_docs_load_nothing_from_elsewhere(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/schema")
    assert response.status_code == 200
    page = response.text
    references = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert references, "the docs page references no script or stylesheet"
    assert all(reference.startswith("/assets/") for reference in references), references
    # Nothing inline: the Content-Security-Policy forbids it.
    assert "<script>" not in page
    assert "<style" not in page
    for reference in references:
        assert (await client.get(reference)).status_code == 200, reference
