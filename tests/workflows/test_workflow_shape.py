"""The workflows only call dagger: pinned actions, least permissions, one deploy per environment."""

import json
import re
from typing import Any, cast

import pytest
from cloudmetrics_shared.environments import ENVIRONMENTS

from tests.workflows.conftest import REPOSITORY

DAGGER = "dagger/dagger-for-github"
# Release commits read from the actions' own repositories (see docs/pipeline.md).
PINNED_ACTIONS = {
    "actions/checkout": "3d3c42e5aac5ba805825da76410c181273ba90b1",
    DAGGER: "27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77",
    "aws-actions/configure-aws-credentials": "e6de054238d6b7531b4efff3b6587d9aade6a06c",
}
SETUP_ACTIONS = {"actions/checkout", "aws-actions/configure-aws-credentials"}
Workflows = dict[str, dict[str, Any]]


def jobs(workflows: Workflows) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (file, name, job)
        for file, workflow in workflows.items()
        for name, job in workflow["jobs"].items()
    ]


def steps(workflows: Workflows) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (file, name, step) for file, name, job in jobs(workflows) for step in job.get("steps", [])
    ]


def action(step: dict[str, Any]) -> tuple[str, str]:
    name, _, ref = str(step["uses"]).partition("@")
    return name, ref


def dagger_call(job: dict[str, Any]) -> str:
    (call,) = [step["with"]["call"] for step in job["steps"] if action(step)[0] == DAGGER]
    return " ".join(str(call).split())


def environment(job: dict[str, Any]) -> str | None:
    value: Any = job.get("environment")
    if isinstance(value, dict):
        return str(cast(dict[str, Any], value)["name"])
    return None if value is None else str(value)


def engine_version() -> str:
    config = json.loads((REPOSITORY / "dagger.json").read_text())
    return str(config["engineVersion"]).removeprefix("v")


def test_every_step_calls_dagger_or_is_a_pinned_setup_action(workflows: Workflows) -> None:
    for file, job, step in steps(workflows):
        assert "run" not in step, f"{file}:{job} runs a script: pipeline logic belongs in ci/"
        name, ref = action(step)
        assert name == DAGGER or name in SETUP_ACTIONS, f"{file}:{job} uses {name}"
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{file}:{job} {name} is not pinned by SHA"
        assert ref == PINNED_ACTIONS[name], f"{file}:{job} {name}@{ref}"


def test_dagger_runs_at_the_engine_version_of_dagger_json(workflows: Workflows) -> None:
    for _, _, step in steps(workflows):
        if action(step)[0] == DAGGER:
            assert step["with"]["version"] == engine_version()
            assert step["with"]["verb"] == "call"


def test_checkouts_do_not_keep_credentials(workflows: Workflows) -> None:
    for file, job, step in steps(workflows):
        if action(step)[0] == "actions/checkout":
            assert step.get("with", {}).get("persist-credentials") is False, f"{file}:{job}"


def test_workflows_grant_nothing_and_jobs_ask_for_what_they_use(workflows: Workflows) -> None:
    for file, workflow in workflows.items():
        assert workflow["permissions"] == {}, file
    for file, name, job in jobs(workflows):
        permissions = job["permissions"]
        assert permissions.get("contents") == "read", f"{file}:{name}"
        allowed = {"contents": "read", "id-token": "write"} if environment(job) else {}
        extra = {k: v for k, v in permissions.items() if k != "contents"}
        assert extra == {k: v for k, v in allowed.items() if k != "contents"}, f"{file}:{name}"


def test_aws_access_is_by_oidc_role_only(workflows: Workflows) -> None:
    for file, name, job in jobs(workflows):
        aws = [s for s in job["steps"] if action(s)[0] == "aws-actions/configure-aws-credentials"]
        if environment(job) is None:
            assert aws == [], f"{file}:{name} has AWS access without an environment"
            continue
        (step,) = aws
        inputs = step["with"]
        assert "role-to-assume" in inputs
        assert "aws-access-key-id" not in inputs
        assert "aws-secret-access-key" not in inputs


def test_every_environment_has_one_deploy_job_calling_deploy_for_it(
    workflows: Workflows,
) -> None:
    deploys = {
        environment(job): (file, name, job)
        for file, name, job in jobs(workflows)
        if environment(job) is not None
    }
    assert set(deploys) == set(ENVIRONMENTS)
    for env, (file, name, job) in deploys.items():
        call = dagger_call(job)
        assert call.startswith(f"deploy --env={env} "), f"{file}:{name}: {call}"
        concurrency = job["concurrency"]
        assert concurrency["group"] == f"deploy-{env}", f"{file}:{name}"
        assert concurrency["cancel-in-progress"] is False, f"{file}:{name}"


def test_secrets_reach_dagger_only_as_env_references(workflows: Workflows) -> None:
    for file, name, job in jobs(workflows):
        if environment(job) is None:
            continue
        call = dagger_call(job)
        assert "secrets." not in call, f"{file}:{name}"
        for flag in (
            "--aws-access-key-id=env://AWS_ACCESS_KEY_ID",
            "--aws-secret-access-key=env://AWS_SECRET_ACCESS_KEY",
            "--aws-session-token=env://AWS_SESSION_TOKEN",
            "--pulumi-backend-url=env://PULUMI_BACKEND_URL",
        ):
            assert flag in call.split(), f"{file}:{name} lacks {flag}"


def test_pull_requests_and_pushes_run_lint_and_test(workflows: Workflows) -> None:
    ci = workflows["ci.yml"]
    assert "pull_request" in ci["on"]
    assert "push" in ci["on"]
    calls = {name: dagger_call(job) for name, job in ci["jobs"].items()}
    assert calls["lint"] == "lint"
    assert calls["test"] == "test"
    assert "pull_request_target" not in ci["on"]


def test_only_a_push_to_main_that_passed_the_checks_deploys_to_dev(workflows: Workflows) -> None:
    deploy = workflows["ci.yml"]["jobs"]["deploy-dev"]
    assert environment(deploy) == "dev"
    assert set(deploy["needs"]) == {"lint", "test"}
    assert "github.event_name == 'push'" in deploy["if"]
    assert "github.ref == 'refs/heads/main'" in deploy["if"]
    assert workflows["ci.yml"]["on"]["push"]["branches"] == ["main"]


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_staging_and_prod_are_promoted_by_hand_from_main(workflows: Workflows, env: str) -> None:
    promote = workflows["promote.yml"]
    assert set(promote["on"]) == {"workflow_dispatch"}
    choice = promote["on"]["workflow_dispatch"]["inputs"]["environment"]
    assert choice["type"] == "choice"
    assert set(choice["options"]) == {"staging", "prod"}
    (job,) = [job for job in promote["jobs"].values() if environment(job) == env]
    assert f"inputs.environment == '{env}'" in job["if"]
    assert "github.ref == 'refs/heads/main'" in job["if"]


def test_promotion_asks_for_the_revision_to_deploy(workflows: Workflows) -> None:
    revision = workflows["promote.yml"]["on"]["workflow_dispatch"]["inputs"]["revision"]
    assert revision["required"] is True
    assert revision["type"] == "string"
    assert "full commit sha" in revision["description"].lower()


def checkout_step(job: dict[str, Any]) -> dict[str, Any]:
    (step,) = [step for step in job["steps"] if action(step)[0] == "actions/checkout"]
    return step


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_promotion_checks_out_and_deploys_exactly_the_chosen_revision(
    workflows: Workflows, env: str
) -> None:
    (job,) = [j for j in workflows["promote.yml"]["jobs"].values() if environment(j) == env]
    checkout = checkout_step(job)
    assert checkout["with"]["ref"] == "${{ inputs.revision }}"
    assert checkout["with"]["persist-credentials"] is False
    # The deploy gets the commit the checkout reports: the image is built from
    # that tree and tagged with that commit, never with main's tip.
    call = dagger_call(job)
    assert call.count("--revision=") == 1, call
    assert f"--revision=${{{{ steps.{checkout['id']}.outputs.commit }}}}" in call
    assert "github.sha" not in call


def test_no_typed_input_reaches_a_dagger_call(workflows: Workflows) -> None:
    # dagger-for-github pastes `call` into a bash script: an `inputs.*` or event
    # field there is a shell injection that zizmor does not see (it knows
    # nothing of this action's inputs).
    for file, name, job in jobs(workflows):
        for step in job["steps"]:
            if action(step)[0] != DAGGER:
                continue
            text = json.dumps(step["with"])
            assert "inputs." not in text, f"{file}:{name}"
            assert "github.event" not in text, f"{file}:{name}"


def test_promotions_copy_the_previous_environment_image_and_dev_builds(
    workflows: Workflows,
) -> None:
    for file, name, job in jobs(workflows):
        env = environment(job)
        if env is None:
            continue
        call = dagger_call(job)
        flag = "--source-repository=${{ vars.SOURCE_ECR_REPOSITORY }}"
        if env == "dev":
            assert "--source-repository" not in call, f"{file}:{name}"
        else:
            # Set per GitHub environment: staging names dev's repository, prod staging's.
            assert call.count("--source-repository") == 1, f"{file}:{name}"
            assert flag in call, f"{file}:{name}"
