"""Prometheus's integer milliseconds since the epoch, to and from our UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def from_milliseconds(milliseconds: int) -> datetime | None:
    """The moment, or None when it lies outside what a datetime can hold."""
    try:
        return EPOCH + timedelta(milliseconds=milliseconds)
    except OverflowError:
        return None


def to_milliseconds(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)
