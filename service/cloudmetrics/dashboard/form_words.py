"""What is wrong with a dashboard form's input, in words a person reads.

The API's messages name the rule as a regular expression, which suits a client's developer;
a person at a form needs to know which characters are allowed. The rules themselves stay in
`metrics/rules.py`: these checks call them, and only the wording is the dashboard's.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudmetrics.errors import InvalidRequest
from cloudmetrics.metrics.rules import TAG_VALUE_MAX_LENGTH, is_prefix, tag_key_problem

NAME_CHARACTERS = "letters, digits and _ . : -"
TAG_KEY_CHARACTERS = "letters, digits and _ . -"


def check_prefix(prefix: str) -> None:
    if not is_prefix(prefix):
        raise InvalidRequest(
            f"a metric name holds only {NAME_CHARACTERS} (at most 200 of them), "
            "so no name starts with that."
        )


def check_tag_filters(filters: Sequence[str]) -> None:
    """Each filter is `key:value`; the API's own check runs after this one and has the rest."""
    for item in filters:
        key, separator, value = item.partition(":")
        if not separator:
            raise InvalidRequest(
                f"The tag filter “{item[:70]}” needs a colon between the tag and its value, "
                "like host:web-1."
            )
        if tag_key_problem(key) is not None:
            raise InvalidRequest(
                f"The tag “{key[:70]}” cannot exist: a tag starts with a letter or _ and holds "
                f"only {TAG_KEY_CHARACTERS}, at most 64 characters."
            )
        if not 1 <= len(value) <= TAG_VALUE_MAX_LENGTH:
            raise InvalidRequest(
                f"The value of tag “{key}” must be 1 to {TAG_VALUE_MAX_LENGTH} characters long."
            )
