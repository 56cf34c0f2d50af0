"""Signing a person in, the one way both the JSON route and the dashboard's form do it.

The order matters: the attempt budgets are checked first (a held-back address costs no hash),
the password is checked in the hashing threads, a failure is counted against the (account,
address) pair and the address, and a success clears its pair (sign_in_limits.py).
"""

from __future__ import annotations

from cloudmetrics.errors import Unauthenticated
from cloudmetrics.identity.sign_in_limits import check_allowed, record_failure, record_success
from cloudmetrics.identity.users import User, authenticate_user
from cloudmetrics.resources import Resources

WRONG_CREDENTIALS = "the email or the password is wrong"


async def sign_in_user(resources: Resources, *, email: str, password: str, address: str) -> User:
    """The user these credentials belong to; Unauthenticated (one answer for an unknown email
    and a wrong password), TooManyAttempts or SignInBusy (429) otherwise."""
    await check_allowed(resources, email=email, address=address)
    async with resources.connection() as connection:
        user = await authenticate_user(connection, email, password, hashing=resources.password_work)
    if user is None:
        await record_failure(resources, email=email, address=address)
        raise Unauthenticated(WRONG_CREDENTIALS)
    await record_success(resources, email=email, address=address)
    return user
