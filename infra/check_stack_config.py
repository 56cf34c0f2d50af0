"""Refuse a stack whose configuration still holds placeholders, before any deploy starts.

    python infra/check_stack_config.py --stack dev [--program bootstrap] [--image-tag <sha>]

Reads infra/Pulumi.<stack>.yaml (or infra/bootstrap/Pulumi.<stack>.yaml), prints one line per
offending key and exits 1; exits 0 and prints nothing else when the file is deployable. The
programs refuse the same values themselves; this runs without Pulumi (only PyYAML), so the
pipeline can fail fast with every problem named at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

INFRA = Path(__file__).resolve().parent
if str(INFRA) not in sys.path:
    sys.path.insert(0, str(INFRA))

from cloudmetrics_infra.settings import (  # noqa: E402
    PLACEHOLDER_KINDS,
    SettingsError,
    StackSettings,
)
from cloudmetrics_shared import placeholders  # noqa: E402 -- needs the path above
from cloudmetrics_shared.environments import ENVIRONMENTS, PROJECT  # noqa: E402

BOOTSTRAP_PROJECT = "cloudmetrics-bootstrap"
# An image tag that passes validation, for checking a file before the pipeline picks one.
_ANY_FIXED_TAG = "0000000"


def stack_file(program: str, stack: str) -> Path:
    folder = INFRA / "bootstrap" if program == "bootstrap" else INFRA
    return folder / f"Pulumi.{stack}.yaml"


def config_values(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    config: dict[str, Any] = document.get("config") or {}
    return config


def estate_problems(stack: str, config: dict[str, Any], image_tag: str) -> list[str]:
    found = placeholders.problems(config, PLACEHOLDER_KINDS)
    if found:
        return found
    # No placeholder left: the program's own validation must accept the rest as well.
    values = {
        key.removeprefix(f"{PROJECT}:"): value
        for key, value in config.items()
        if key.startswith(f"{PROJECT}:")
    }
    values["imageTag"] = image_tag
    # The engine hands scalars to the program as strings; objects stay objects.
    values = {
        key: json.dumps(value) if isinstance(value, bool | int | float) else value
        for key, value in values.items()
    }
    try:
        StackSettings.from_values(stack, str(config.get("aws:region", "")), values)
    except SettingsError as error:
        return [str(error)]
    return []


def bootstrap_problems(config: dict[str, Any]) -> list[str]:
    return placeholders.problems(
        config, {f"{BOOTSTRAP_PROJECT}:accountId": placeholders.Kind.ACCOUNT_ID}
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Refuse placeholder values in a stack file.")
    parser.add_argument("--stack", required=True, choices=ENVIRONMENTS)
    parser.add_argument("--program", choices=("estate", "bootstrap"), default="estate")
    parser.add_argument("--image-tag", default=_ANY_FIXED_TAG)
    parser.add_argument("--file", type=Path, help="check this file instead of the stack's own")
    arguments = parser.parse_args(argv)
    path: Path = arguments.file or stack_file(arguments.program, arguments.stack)
    if not path.is_file():
        print(f"{path}: no such stack file", file=sys.stderr)
        return 2
    config = config_values(path)
    if arguments.program == "bootstrap":
        found = bootstrap_problems(config)
    else:
        found = estate_problems(arguments.stack, config, arguments.image_tag)
    for line in found:
        print(f"{path}: {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
