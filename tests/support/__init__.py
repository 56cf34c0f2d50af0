"""What tests of several parts share: the suite's servers, throwaway databases, free ports, the
service as a process, Chromium. Benchmarks import from here too.

Helper modules, here and beside the tests of one part, are named for what they hold or do, as a
noun or a gerund (`tcp_proxy`, `redis_cluster`, `schema`, `polling`, `canned_deploy`): never
`helpers`, `utils` or `fixtures`, never an adjective. Only `test_*.py` files hold tests.
"""
