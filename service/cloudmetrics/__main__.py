"""`python -m cloudmetrics` is the `cloudmetrics` command."""

from cloudmetrics.cli import main

main()
