"""The HTTP layer around the domain: ASGI middleware, rate limiting, compression, and how errors
become RFC 9457 problem details.

Every module here wraps or describes requests; none of them knows a metric or a key. app.py
composes them, outermost first: request context (id, access log), security headers, the body
deadline, then HEAD/OPTIONS.
"""
