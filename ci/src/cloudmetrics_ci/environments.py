"""The three identical environments and the names derived from them."""

import enum

import dagger


@dagger.enum_type
class Environment(enum.Enum):
    """A deployment environment. Member names are the CLI values (`--env=dev`)."""

    dev = "dev"
    """Deployed on every merge to main."""
    staging = "staging"
    """Promoted by hand from a commit that passed dev."""
    prod = "prod"
    """Promoted by hand from a commit that passed staging."""

    @property
    def stack(self) -> str:
        """The Pulumi stack name (infra/Pulumi.<env>.yaml)."""
        return self.value
