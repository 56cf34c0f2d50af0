"""gzip for what people load in a browser: the dashboard's pages, its assets and the API docs.

Only the routers that serve those carry the middleware. Litestar's app-wide compression_config
would wrap every route, the probes and /v1 included, in the compression middleware and an extra
exception handler even where an exclude pattern then skips compressing: about 2 µs of every
request, or 5% of /health's throughput. The API and the probes answer machines on short paths,
where the bytes saved are not worth that CPU.
"""

from __future__ import annotations

from litestar.config.compression import CompressionConfig
from litestar.middleware import DefineMiddleware
from litestar.middleware.compression import CompressionMiddleware

# Below a kilobyte the gzip header and a CPU pass cost more than the bytes they save.
MINIMUM_SIZE = 1024


def page_compression() -> DefineMiddleware:
    """Router middleware that gzips answers of MINIMUM_SIZE bytes or more for clients that
    accept it."""
    return DefineMiddleware(
        CompressionMiddleware, config=CompressionConfig(backend="gzip", minimum_size=MINIMUM_SIZE)
    )


__all__ = ["MINIMUM_SIZE", "page_compression"]
