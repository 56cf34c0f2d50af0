"""Code both Pulumi programs use: infra/ (the estate) and infra/bootstrap/ (per account).

infra/ is the main program's own directory, so Pulumi finds this package there; the bootstrap's
`__main__.py` puts infra/ on its path for the same reason.
"""
