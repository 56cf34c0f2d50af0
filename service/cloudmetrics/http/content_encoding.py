"""Request bodies as their endpoint reads them: the bytes sent, decoded from their
Content-Encoding, with the size limit applied to what decoding produces.

The router caps the bytes on the wire (`request_max_body_size`); a few kilobytes of gzip can
still claim gigabytes, so decoding stops as soon as its output passes the same limit: a bomb
costs at most the limit in memory, never its claimed size. Snappy's block format states its
decoded length up front, so a snappy body is measured before it is decoded at all.
"""

from __future__ import annotations

import zlib
from typing import Any

import cramjam
from litestar import Request
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from cloudmetrics.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType

IDENTITY = "identity"
GZIP = "gzip"
SNAPPY = "snappy"
# zlib's window bits for "a gzip header and trailer, up to 32 KiB window".
_GZIP_WBITS = 16 + zlib.MAX_WBITS


async def read_body(request: Request[Any, Any, Any], limit: int) -> bytes:
    """The body as sent; 413 past ``limit`` bytes, even without a Content-Length."""
    try:
        return await request.body()
    except RequestEntityTooLarge:
        raise _too_large(limit) from None


def content_encoding(request: Request[Any, Any, Any]) -> str:
    """The one coding the body claims, lower case; `identity` when it claims none."""
    claimed = request.headers.get("content-encoding", "").strip().lower()
    return claimed or IDENTITY


async def decoded_body(
    request: Request[Any, Any, Any], limit: int, *, accepted: tuple[str, ...] = (IDENTITY, GZIP)
) -> bytes:
    """The body decoded from one of the ``accepted`` codings, at most ``limit`` bytes of it."""
    coding = content_encoding(request)
    if coding not in accepted:
        raise UnsupportedMediaType(
            f"Content-Encoding {coding[:40]!r} is not accepted here; send one of "
            f"{', '.join(accepted)}",
            extra={"acceptedEncodings": list(accepted)},
            headers={"Accept-Encoding": ", ".join(c for c in accepted if c != IDENTITY)},
        )
    body = await read_body(request, limit)
    if coding == GZIP:
        return gunzip(body, limit)
    if coding == SNAPPY:
        return unsnappy(body, limit)
    return body


def gunzip(data: bytes, limit: int) -> bytes:
    """Every gzip member of ``data``, decoded; 413 as soon as the output passes ``limit``."""
    output = bytearray()
    remaining = data
    try:
        while True:
            decoder = zlib.decompressobj(_GZIP_WBITS)
            # max_length stops the decoder one byte past the limit, whatever the input claims.
            output += decoder.decompress(remaining, limit - len(output) + 1)
            if len(output) > limit or decoder.unconsumed_tail:
                raise _too_large(limit, decoded=True)
            if not decoder.eof:
                raise InvalidRequest("the gzip body ends before its stream does")
            remaining = decoder.unused_data
            if not remaining:
                return bytes(output)
    except zlib.error as error:
        raise InvalidRequest(f"the body is not valid gzip data ({error})") from None


def unsnappy(data: bytes, limit: int) -> bytes:
    """A snappy block (the format remote write uses, not the framed one), decoded."""
    try:
        claimed = cramjam.snappy.decompress_raw_len(data)
    except cramjam.DecompressionError as error:
        raise InvalidRequest(f"the body is not snappy-compressed data ({error})") from None
    if claimed > limit:
        raise _too_large(limit, decoded=True)
    try:
        return bytes(cramjam.snappy.decompress_raw(data))
    except cramjam.DecompressionError as error:
        raise InvalidRequest(f"the body is not snappy-compressed data ({error})") from None


def snappy_block(data: bytes) -> bytes:
    """``data`` compressed as a snappy block, as remote read answers are."""
    return bytes(cramjam.snappy.compress_raw(data))


def _too_large(limit: int, *, decoded: bool = False) -> PayloadTooLarge:
    what = "the decoded body" if decoded else "the body"
    return PayloadTooLarge(f"{what} is larger than {limit} bytes", extra={"maxBodyBytes": limit})
