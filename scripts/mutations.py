"""Plant one-line bugs where data and access are guarded, one at a time, and show which test
kills each. A bug no test kills names a missing test.

    .venv/bin/python scripts/mutations.py            # every mutation
    .venv/bin/python scripts/mutations.py 3 7        # only these (numbers as listed)

Each mutation is one exact text replacement in one file, run against the tests most likely to
catch it (stopping at the first failure); the file is restored afterwards, even on Ctrl-C.
A mutation whose text is no longer in the file is reported as stale, not as killed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [str(ROOT / ".venv" / "bin" / "pytest"), "-x", "-q", "-p", "no:cacheprovider"]


@dataclass(frozen=True)
class Mutation:
    what: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


# The write path of rollups (add_to_rollups; its first attempt, plain float8 arithmetic).
MIGRATION_0023 = "migrations/0023_samples_packed_per_series_window.sql"
FAST = "service/cloudmetrics/metrics/fast_validation.py"
THOROUGH = "service/cloudmetrics/metrics/validation.py"
QUERIES = "service/cloudmetrics/metrics/queries.py"
PAGES = "service/cloudmetrics/dashboard/pages.py"
JUDGES = "ci/src/cloudmetrics_ci/deploy_steps.py"
INGEST_TESTS = ("tests/api/test_ingest.py", "tests/api/test_validation_paths.py")
STORAGE_TESTS = ("tests/storage/test_rollup_property.py", "tests/storage/test_raw_samples.py")

MUTATIONS = [
    # Limits at their exact boundary.
    Mutation(
        "a batch of exactly INGEST_MAX_POINTS refused (fast path)",
        FAST,
        "if len(batch.points) > settings.max_points:",
        "if len(batch.points) >= settings.max_points:",
        INGEST_TESTS,
    ),
    Mutation(
        "a batch of exactly INGEST_MAX_POINTS refused (thorough path)",
        THOROUGH,
        "if count > settings.max_points:",
        "if count >= settings.max_points:",
        INGEST_TESTS,
    ),
    Mutation(
        "the future window measured with the past window's length",
        FAST,
        "latest = now + timedelta(seconds=settings.future_window_seconds)",
        "latest = now + timedelta(seconds=settings.past_window_seconds)",
        INGEST_TESTS,
    ),
    Mutation(
        "a point at the very end of the future window refused",
        FAST,
        "if min(stamps) < earliest or max(stamps) > latest:",
        "if min(stamps) < earliest or max(stamps) >= latest:",
        INGEST_TESTS,
    ),
    Mutation(
        "the bucket bound checked one bucket late",
        "service/cloudmetrics/metrics/series_params.py",
        "if buckets > max_buckets:",
        "if buckets > max_buckets + 1:",
        ("tests/api/test_series.py",),
    ),
    # Authorization.
    Mutation(
        "the scope guard lets any key through",
        "service/cloudmetrics/identity/guards.py",
        "if not principal.allows(needed):",
        "if False and not principal.allows(needed):",
        ("tests/api/test_credentials.py",),
    ),
    Mutation(
        "a key allows every scope it does not hold",
        "service/cloudmetrics/identity/principal.py",
        "return scope in self.scopes",
        "return bool(self.scopes)",
        ("tests/api/test_credentials.py",),
    ),
    Mutation(
        "a revoked key still authenticates",
        "service/cloudmetrics/identity/key_authentication.py",
        'if stored.revoked_at is not None:\n        raise _invalid("this API key was revoked")',
        'if False:\n        raise _invalid("this API key was revoked")',
        ("tests/api/test_credentials.py",),
    ),
    Mutation(
        "an expired key still authenticates",
        "service/cloudmetrics/identity/key_authentication.py",
        "stored.expires_at <= datetime.now(UTC)",
        "stored.expires_at <= datetime.min.replace(tzinfo=UTC)",
        ("tests/api/test_credentials.py",),
    ),
    Mutation(
        "the dashboard never shows a key as expired",
        "service/cloudmetrics/identity/api_keys.py",
        "return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)",
        "return self.revoked_at is None",
        ("tests/dashboard/test_roles.py", "tests/service/test_identity_cli.py"),
    ),
    Mutation(
        "a metric of another project is found by name",
        QUERIES,
        '_METRIC_ID = "SELECT id FROM metrics WHERE project_id = $1 AND name = $2"',
        '_METRIC_ID = "SELECT id FROM metrics WHERE (project_id = $1 OR true) AND name = $2"',
        ("tests/api/test_project_isolation.py",),
    ),
    Mutation(
        "another project's metric names are listed",
        QUERIES,
        "WHERE project_id = $1 AND starts_with(name, $2)",
        "WHERE (project_id = $1 OR true) AND starts_with(name, $2)",
        ("tests/api/test_project_isolation.py",),
    ),
    Mutation(
        "a member may revoke the project's keys",
        PAGES,
        """    if not viewer.is_owner:
        return _owners_only(viewer)
    form = await request.form()
    if form.get("confirm") != "yes":""",
        """    form = await request.form()
    if form.get("confirm") != "yes":""",
        ("tests/dashboard/test_roles.py",),
    ),
    Mutation(
        "revoking needs no confirmation",
        PAGES,
        'if form.get("confirm") != "yes":',
        'if form.get("confirm") == "never":',
        ("tests/dashboard/test_roles.py", "tests/dashboard/test_browser.py"),
    ),
    # Rollup write paths.
    Mutation(
        "a minute rollup's count replaced instead of added to",
        MIGRATION_0023,
        """count(*), sum(f.value), min(f.value), max(f.value)
        FROM fresh AS f
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (series_id, bucket) DO UPDATE SET
            count = r.count + excluded.count,""",
        """count(*), sum(f.value), min(f.value), max(f.value)
        FROM fresh AS f
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (series_id, bucket) DO UPDATE SET
            count = excluded.count,""",
        STORAGE_TESTS,
    ),
    Mutation(
        "an hour rollup's sum not added to",
        MIGRATION_0023,
        """        count = r.count + excluded.count,
        sum = r.sum + excluded.sum,
        min = least(r.min, excluded.min),
        max = greatest(r.max, excluded.max);
EXCEPTION""",
        """        count = r.count + excluded.count,
        sum = r.sum,
        min = least(r.min, excluded.min),
        max = greatest(r.max, excluded.max);
EXCEPTION""",
        ("tests/storage/test_rollup_writes.py", *STORAGE_TESTS),
    ),
    Mutation(
        "queries read minute rollups for an unaligned start",
        "service/cloudmetrics/metrics/resolution.py",
        "if query.step % width == timedelta(0) and (query.start - EPOCH) % width == timedelta(0):",
        "if query.step % width == timedelta(0):",
        ("tests/storage/test_resolution.py", "tests/storage/test_rollup_property.py"),
    ),
    # Retention.
    Mutation(
        "a project's shorter retention deletes its rows a day early",
        "service/cloudmetrics/storage/maintenance.py",
        "make_interval(days => coalesce(r.{column}, $2)::integer)",
        "make_interval(days => coalesce(r.{column}, $2)::integer - 1)",
        ("tests/storage/test_project_retention.py", "tests/storage/test_maintenance.py"),
    ),
    # Deploy judges.
    Mutation(
        "a migration task with one failed container passes",
        JUDGES,
        "if not exit_codes or any(code != 0 for code in exit_codes.values()):",
        "if not exit_codes or all(code != 0 for code in exit_codes.values()):",
        ("tests/ci/test_deploy_judges.py", "tests/ci/test_deploy_run.py"),
    ),
    Mutation(
        "a migration task that reports no container passes",
        JUDGES,
        "if not exit_codes or any(code != 0 for code in exit_codes.values()):",
        "if any(code != 0 for code in exit_codes.values()):",
        ("tests/ci/test_deploy_judges.py", "tests/ci/test_deploy_run.py"),
    ),
    # Policies.
    Mutation(
        "a publicly accessible database passes the policy pack",
        "infra/policy_pack/cloudmetrics_policies/data.py",
        'if args.props.get("publiclyAccessible") is True:',
        'if args.props.get("publiclyAccessible") is None:',
        ("tests/infra/test_policy_breakages.py", "tests/infra/test_policy_pack.py"),
    ),
    Mutation(
        "enhanced monitoring off passes the policy pack",
        "infra/policy_pack/cloudmetrics_policies/data.py",
        'if int(args.props.get("monitoringInterval") or 0) <= 0:',
        'if int(args.props.get("monitoringInterval") or 0) < 0:',
        ("tests/infra/test_policy_breakages.py", "tests/infra/test_policy_pack.py"),
    ),
]


def run(mutation: Mutation) -> tuple[str, str, float]:
    path = ROOT / mutation.path
    original = path.read_text(encoding="utf-8")
    if original.count(mutation.old) != 1:
        return "stale", f"the text is in {mutation.path} {original.count(mutation.old)} times", 0
    started = time.monotonic()
    try:
        path.write_text(original.replace(mutation.old, mutation.new), encoding="utf-8")
        result = subprocess.run(
            [*PYTEST, *mutation.tests],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
    finally:
        path.write_text(original, encoding="utf-8")
    seconds = time.monotonic() - started
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
    if result.returncode == 1 and failed:
        return "killed", failed[0].removeprefix("FAILED ").split(" - ")[0], seconds
    if result.returncode == 0:
        return "SURVIVED", " ".join(mutation.tests), seconds
    return "error", f"pytest exited {result.returncode}: {result.stdout[-300:]}", seconds


def main(argv: list[str]) -> int:
    chosen = [int(arg) for arg in argv] or list(range(1, len(MUTATIONS) + 1))
    survivors = 0
    for number in chosen:
        mutation = MUTATIONS[number - 1]
        outcome, detail, seconds = run(mutation)
        survivors += outcome != "killed"
        print(f"{number:2d}. {outcome:8s} {mutation.what} [{detail}] ({seconds:.0f} s)", flush=True)
    print(f"{len(chosen) - survivors} of {len(chosen)} mutations killed")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
