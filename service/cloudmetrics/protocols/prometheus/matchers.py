"""Label matchers with Prometheus's semantics: `=`, `!=`, `=~`, `!~`, where a label a series
lacks has the value "", and a regular expression must match the whole value.

Expressions run on RE2 (google-re2), the engine Prometheus's Go regexp implements: the same
syntax, and time linear in the value's length, so no pattern a client sends can make a match
slow. Prometheus compiles `^(?s:<expr>)$`; fullmatch of `(?s:<expr>)` is the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import promql_parser
import re2  # pyright: ignore[reportMissingTypeStubs]

from cloudmetrics.errors import InvalidRequest
from cloudmetrics.protocols.prometheus import messages

# google-re2 ships no type information.
_compile: Any = re2.compile  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
_RegexError: type[Exception] = re2.error  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]

Operator = Literal["=", "!=", "=~", "!~"]
NAME_LABEL = "__name__"
# Longer patterns are refused before compiling: they are mistakes, not selectors.
MAX_PATTERN_LENGTH = 4096

_FROM_WIRE: dict[int, Operator] = {
    messages.MATCH_EQUAL: "=",
    messages.MATCH_NOT_EQUAL: "!=",
    messages.MATCH_REGEX: "=~",
    messages.MATCH_NOT_REGEX: "!~",
}
_FROM_PARSER: dict[str, Operator] = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}


@dataclass(frozen=True, slots=True)
class Matcher:
    label: str
    operator: Operator
    value: str
    _pattern: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, label: str, operator: Operator, value: str) -> Matcher:
        pattern = None
        if operator in ("=~", "!~"):
            if len(value) > MAX_PATTERN_LENGTH:
                raise InvalidRequest(f"a regular expression longer than {MAX_PATTERN_LENGTH}")
            try:
                pattern = _compile(f"(?s:{value})")
            except _RegexError as error:
                raise InvalidRequest(
                    f"invalid regular expression {value[:100]!r} for {label[:70]!r}: {error}"
                ) from None
        return cls(label, operator, value, pattern)

    def matches(self, value: str) -> bool:
        """Whether a series whose label has ``value`` ("" when it lacks it) is selected."""
        if self.operator == "=":
            return value == self.value
        if self.operator == "!=":
            return value != self.value
        found = self._pattern.fullmatch(value) is not None
        return found if self.operator == "=~" else not found

    @property
    def matches_empty(self) -> bool:
        return self.matches("")


def from_wire(matchers: Sequence[Any]) -> list[Matcher]:
    """A remote read query's LabelMatcher messages."""
    found: list[Matcher] = []
    for matcher in matchers:
        operator = _FROM_WIRE.get(matcher.type)
        if operator is None:
            raise InvalidRequest(f"unknown label matcher type {matcher.type}")
        found.append(Matcher.of(matcher.name, operator, matcher.value))
    return found


def from_selector(selector: str) -> list[Matcher]:
    """A series selector as `match[]` carries it: `up{job="node"}`, `{__name__=~"node_.*"}`."""
    try:
        expression = promql_parser.parse(selector)
    except (ValueError, RuntimeError) as error:
        raise InvalidRequest(f"match[] {selector[:200]!r} cannot be parsed: {error}") from None
    if not isinstance(expression, promql_parser.VectorSelector):
        raise InvalidRequest(f"match[] {selector[:200]!r} is not a series selector")
    if expression.matchers.or_matchers:
        raise InvalidRequest("series selectors joined with `or` are not supported in match[]")
    found = [
        Matcher.of(m.name, _FROM_PARSER[str(m.op).rpartition(".")[2]], m.value)
        for m in expression.matchers.matchers
    ]
    if expression.name:
        found.append(Matcher.of(NAME_LABEL, "=", expression.name))
    return found


def require_selective(matchers: Sequence[Matcher]) -> None:
    """Prometheus's own rule: a selector must hold a matcher that an empty value fails, or it
    would select every series there is."""
    if not any(not matcher.matches_empty for matcher in matchers):
        raise InvalidRequest(
            "a selector needs at least one matcher that does not match the empty value, "
            'e.g. {job="node"} or a metric name'
        )


def select(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    return all(matcher.matches(labels.get(matcher.label, "")) for matcher in matchers)
