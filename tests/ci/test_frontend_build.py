"""The front end's own Node stage: lock before source, its output alone in the image."""

from cloudmetrics_ci import CloudmetricsCi

from tests.ci.graph import Plan, images
from tests.ci.test_build import REVISION


def frontend(module: CloudmetricsCi) -> tuple[Plan, Plan]:
    """(the final image, the Node stage whose directory it copies to /app/web/dist)."""
    final = Plan(module.build(REVISION))
    copy = final.fields[final.position("withDirectory", path="/app/web/dist")]
    return final, Plan(copy.args["source"])


def test_the_image_takes_only_the_built_directory(module: CloudmetricsCi) -> None:
    final, stage = frontend(module)
    assert stage.calls("directory")[-1].args["path"] == "/build/web/dist"
    assert final.env["ASSETS_DIR"] == "/app/web/dist"
    # No Node in the image: its base stays slim Python, nothing installs or runs node there.
    assert final.base_image.startswith("python:3.11.")
    assert not any("node" in " ".join(command) for command in final.execs)
    assert not any(address.startswith("node:") for address in images_of_final_stage(final))


def images_of_final_stage(final: Plan) -> set[str]:
    return {field.args["address"] for field in final.calls("from")}


def test_the_stage_builds_on_a_pinned_node_image(module: CloudmetricsCi) -> None:
    _, stage = frontend(module)
    assert stage.base_image.startswith("node:20.")
    assert any(character.isdigit() for character in stage.base_image.rpartition(":")[2])
    assert "node:" in " ".join(images(stage.obj))


def test_npm_ci_runs_on_the_lock_before_any_source(module: CloudmetricsCi) -> None:
    _, stage = frontend(module)
    installed = stage.exec_position("npm", "ci")
    copied_before = [
        field.args["path"]
        for field in stage.fields[:installed]
        if field.name in {"withFile", "withDirectory"}
    ]
    assert copied_before == [
        "/build/web/package.json",
        "/build/web/package-lock.json",
        "/build/web/.npmrc",
    ]
    assert "--ignore-scripts" in stage.execs[0]
    built = stage.exec_position("node", "build.mjs")
    assert installed < built
    copied_after = {
        field.args["path"]
        for field in stage.fields[installed:built]
        if field.name in {"withFile", "withDirectory"}
    }
    # Tailwind reads the server's templates for class names: they are part of the build.
    assert copied_after == {
        "/build/web/src",
        "/build/web/build.mjs",
        "/build/service/cloudmetrics/dashboard/templates",
    }


def test_npm_downloads_are_cached_on_a_named_volume(module: CloudmetricsCi) -> None:
    _, stage = frontend(module)
    assert stage.cache_mounts == {"/root/.npm": "cloudmetrics-npm"}
