"""Promotion: the previous environment's image copied registry to registry, its bytes kept.

An image that passes through a Dagger container (`from_(source@digest)` then `publish`) is
re-exported: the engine writes a new config (fresh history, "created" now), so the pushed
manifest's digest always differs from the source's. Promotion by digest therefore copies
the manifest and its blobs as they are, with skopeo (`--preserve-digests` refuses any change
of the manifest), and checks everything **before** a tag is written: the destination
repositories are IMMUTABLE, so a tag left by a failed attempt would fail every retry.

1. The source's revision tag must still name the digest the lookup found.
2. The manifest goes to the destination by that digest, untagged; a registry refuses a
   manifest whose bytes do not hash to the digest named.
3. Only then is the tag written (a copy of those bytes within the destination), and read back.
"""

import base64
import json
from collections.abc import Callable
from typing import Final

import dagger
from dagger import dag

from cloudmetrics_ci import images
from cloudmetrics_ci.deploy_steps import (
    DIGEST_PATTERN,
    DeployStep,
    DeployTarget,
    Outcome,
    Step,
    StepFailed,
)
from cloudmetrics_ci.environments import Environment
from cloudmetrics_ci.freshness import for_run
from cloudmetrics_ci.pulumi import StackOutputs, registry_of

# A path inside a throwaway container, not a password.
AUTH_FILE: Final = "/run/secrets/registry-auth.json"
# Exit code of a refusal at check 1: the source's tag names another image.
SOURCE_MOVED: Final = 3
# Arguments: source repository, digest, destination repository, tag. Every value an argument,
# never spliced into the script; the registry token is in the auth file only.
PROMOTE_SCRIPT: Final = f"""set -eu
source_repository=$1 digest=$2 destination_repository=$3 tag=$4
manifest=$(mktemp)
skopeo inspect --raw "docker://$source_repository:$tag" > "$manifest"
found=$(skopeo manifest-digest "$manifest")
if [ "$found" != "$digest" ]; then
  echo "refused: $source_repository:$tag is $found, not $digest; nothing was copied" >&2
  exit {SOURCE_MOVED}
fi
skopeo copy --quiet --all --preserve-digests \\
  "docker://$source_repository@$digest" "docker://$destination_repository@$digest"
skopeo copy --quiet --all --preserve-digests \\
  "docker://$destination_repository@$digest" "docker://$destination_repository:$tag"
skopeo inspect --raw "docker://$destination_repository:$tag" > "$manifest"
skopeo manifest-digest "$manifest"
"""


def registry_auth(env: Environment, registries: list[str], token: str) -> dagger.Secret:
    """A containers-auth.json for `registries` (ECR: user AWS, the token as password)."""
    auth = base64.b64encode(f"AWS:{token}".encode()).decode()
    document = {"auths": {registry: {"auth": auth} for registry in registries}}
    return dag.set_secret(f"registry-auth-{env.value}", json.dumps(document))


def promote_command(source_repository: str, digest: str, destination: str, tag: str) -> list[str]:
    """The copy's argv: the script, then its four arguments."""
    return ["sh", "-c", PROMOTE_SCRIPT, "promote", source_repository, digest, destination, tag]


def promotion_container(auth: dagger.Secret) -> dagger.Container:
    """The pinned skopeo image, reading registry credentials from a mounted secret file."""
    return (
        dag.container()
        .from_(images.SKOPEO)
        .with_mounted_secret(AUTH_FILE, auth)
        .with_env_variable("REGISTRY_AUTH_FILE", AUTH_FILE)
    )


def promoted_judge(expected: str) -> Callable[[Outcome], str]:
    """A judge that wants the copy to have finished with the destination tag on `expected`."""

    def judge(outcome: Outcome) -> str:
        if outcome.exit_code == SOURCE_MOVED:
            raise StepFailed(f"the source's tag no longer names {expected}; nothing was copied")
        if outcome.exit_code != 0:
            raise StepFailed(f"the copy exited with {outcome.exit_code} (its output is in the log)")
        lines = outcome.stdout.strip().splitlines()
        digest = lines[-1] if lines else ""
        if not DIGEST_PATTERN.fullmatch(digest):
            raise StepFailed(f"the copy reported {digest!r}, which is no digest")
        if digest != expected:
            raise StepFailed(f"the copy has digest {digest}, the source image {expected}")
        return digest

    return judge


def promote_step(
    target: DeployTarget, outputs: StackOutputs, token: str, source_digest: str
) -> Step[str]:
    """Copy `source_repository@source_digest` to this environment's repository, tagged."""
    source = target.source_repository
    if source is None:
        raise StepFailed(f"{target.env.value} builds its image; it has nothing to promote")
    destination = outputs.ecr_repository_url
    auth = registry_auth(target.env, [registry_of(source), outputs.registry], token)
    container = for_run(promotion_container(auth), target.run_id)
    command = promote_command(source, source_digest, destination, target.revision)
    return Step(
        DeployStep.PUBLISH_IMAGE,
        container.with_exec(command, expect=dagger.ReturnType.ANY),
        promoted_judge(source_digest),
    )
