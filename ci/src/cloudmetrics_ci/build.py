"""The service image: dependencies from the runtime lock, the package, the migrations.

Two stages, both `linux/amd64` whatever the engine's own platform (the ECS task
definitions are X86_64; an arm64 laptop must not publish an arm64 image). The builder
creates a virtual environment from requirements/runtime.txt and the build tools from
requirements/build.txt (both hash-checked) *before* any source is copied, so a code
change reuses those layers; then it builds the wheel with exactly those tools and
installs it without dependencies. The final stage starts again from the slim Python
image and takes only that environment, the migrations and Amazon RDS's CA bundle: no uv,
no compiler, no build tools, nothing from the dev toolchain.

The dashboard's front end is a third stage (frontend.py, on Node): the final stage copies
only its output, web/dist, and points ASSETS_DIR at it. The image carries no Node.
"""

from typing import Final

import dagger
from dagger import dag

from cloudmetrics_ci import images
from cloudmetrics_ci.frontend import frontend_assets
from cloudmetrics_ci.toolchain import python_with_uv

APP_DIR: Final = "/app"
VENV: Final = f"{APP_DIR}/.venv"
MIGRATIONS_DIR: Final = f"{APP_DIR}/migrations"
ASSETS_DIR: Final = f"{APP_DIR}/web/dist"
# The service verifies the database's certificate (sslmode=verify-full) against Amazon RDS's
# CA bundle; infra/ points DATABASE_URL's sslrootcert at this path. No package registry ships
# the bundle, so the engine fetches AWS's published file over HTTPS at build time. The bytes
# are then fixed in the image's digest, which promotion copies unchanged (ADR 0046).
RDS_CA_BUNDLE: Final = f"{APP_DIR}/certs/rds-global-bundle.pem"
RDS_CA_BUNDLE_URL: Final = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
SERVICE_PORT: Final = 8000
# A fixed numeric id: ECS and Kubernetes can verify "non-root" only from a number.
APP_UID: Final = 10001
APP_USER: Final = "cloudmetrics"
SEARCH_PATH: Final = f"{VENV}/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PLATFORM: Final = dagger.Platform("linux/amd64")
BUILD_TOOLS: Final = "/build-tools"
WHEELS: Final = "/build/dist"


def runtime_environment(source: dagger.Directory) -> dagger.Directory:
    """The virtual environment holding the runtime lock and the service package."""
    builder = (
        python_with_uv(images.PYTHON, PLATFORM)
        .with_env_variable("UV_COMPILE_BYTECODE", "1")
        .with_workdir("/build")
        .with_exec(["uv", "venv", "--python", "/usr/local/bin/python3", VENV])
        .with_exec(["uv", "venv", "--python", "/usr/local/bin/python3", BUILD_TOOLS])
        # Dependency layer: only the lock files are in the container at this point.
        .with_file("/build/requirements/runtime.txt", source.file("requirements/runtime.txt"))
        .with_file("/build/requirements/build.txt", source.file("requirements/build.txt"))
        .with_exec(
            ["uv", "pip", "sync", "--python", f"{VENV}/bin/python", "requirements/runtime.txt"]
        )
        .with_exec(
            ["uv", "pip", "sync", "--python", f"{BUILD_TOOLS}/bin/python", "requirements/build.txt"]
        )
        # Source layer: what the wheel of `cloudmetrics` is built from.
        .with_file("/build/pyproject.toml", source.file("pyproject.toml"))
        .with_file("/build/README.md", source.file("README.md"))
        .with_directory("/build/service", source.directory("service"))
        # The pinned hatchling, not whatever an isolated build would download today.
        .with_exec(
            [f"{BUILD_TOOLS}/bin/hatchling", "build", "--target", "wheel", "--directory", WHEELS]
        )
        .with_exec(
            [
                "uv",
                "pip",
                "install",
                "--python",
                f"{VENV}/bin/python",
                "--no-deps",
                "--no-index",
                "--find-links",
                WHEELS,
                "cloudmetrics",
            ]
        )
    )
    return builder.directory(VENV)


def service_image(source: dagger.Directory, revision: str) -> dagger.Container:
    """The image ECS runs, labelled with the git revision it was built from."""
    return (
        dag.container(platform=PLATFORM)
        .from_(images.PYTHON)
        .with_exec(["groupadd", "--system", "--gid", str(APP_UID), APP_USER])
        .with_exec(
            [
                "useradd",
                "--system",
                "--uid",
                str(APP_UID),
                "--gid",
                APP_USER,
                "--home-dir",
                APP_DIR,
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                APP_USER,
            ]
        )
        # Owned by root and only readable by the service user: a compromised
        # process cannot rewrite its own code.
        .with_directory(VENV, runtime_environment(source))
        .with_directory(MIGRATIONS_DIR, source.directory("migrations"))
        .with_directory(ASSETS_DIR, frontend_assets(source))
        .with_file(RDS_CA_BUNDLE, dag.http(RDS_CA_BUNDLE_URL, permissions=0o444))
        .with_workdir(APP_DIR)
        .with_env_variable("PATH", SEARCH_PATH)
        .with_env_variable("VIRTUAL_ENV", VENV)
        .with_env_variable("PYTHONUNBUFFERED", "1")
        .with_env_variable("PYTHONDONTWRITEBYTECODE", "1")
        # The CLI defaults to 127.0.0.1 for laptops; in a container it must listen
        # on every interface or the load balancer cannot reach it.
        .with_env_variable("HOST", "0.0.0.0")  # noqa: S104
        .with_env_variable("PORT", str(SERVICE_PORT))
        .with_env_variable("MIGRATIONS_DIR", MIGRATIONS_DIR)
        .with_env_variable("ASSETS_DIR", ASSETS_DIR)
        .with_env_variable("RELEASE_ID", revision)
        .with_label("org.opencontainers.image.title", "cloudmetrics")
        .with_label("org.opencontainers.image.description", "CloudMetrics API service")
        .with_label("org.opencontainers.image.revision", revision)
        .with_label("org.opencontainers.image.version", revision)
        .with_exposed_port(SERVICE_PORT)
        # Slim images have no curl; the CLI's own health check hits GET /health.
        .with_docker_healthcheck(
            ["cloudmetrics", "healthcheck"],
            interval="30s",
            timeout="5s",
            start_period="15s",
            retries=3,
        )
        .with_user(f"{APP_UID}:{APP_UID}")
        .with_default_args(["cloudmetrics", "serve"])
    )
