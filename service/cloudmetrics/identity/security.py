"""How the OpenAPI document declares API key authentication."""

from __future__ import annotations

from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme

SCHEME_NAME = "apiKey"

SECURITY_REQUIREMENT: SecurityRequirement = {SCHEME_NAME: []}


def security_components() -> Components:
    return Components(
        security_schemes={
            SCHEME_NAME: SecurityScheme(
                type="http",
                scheme="bearer",
                bearer_format="cm_<id>_<secret>",
                description=(
                    "An API key from `cloudmetrics keys create`, sent as "
                    "`Authorization: Bearer <key>`. Its scopes (read, write) decide which "
                    "endpoints it may call; it sees only its own project."
                ),
            )
        }
    )
