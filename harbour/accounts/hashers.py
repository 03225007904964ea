"""Password hashing (ADR 47): Argon2id at OWASP's minimum parameters.

Django's own Argon2 hasher defaults to 100 MiB and 8 lanes per hash. A server of a small
organisation serves sign-ins on 16 threads at once, which would then need 1.6 GB; OWASP's
Password Storage Cheat Sheet gives m = 19 MiB, t = 2, p = 1 as a minimum of equal strength
against a GPU, at about 40 ms of one core here, where PBKDF2's 1,500,000 rounds cost 470 ms
(and 1.6 s under load): a morning's sign-ins no longer stop the caseworkers already at work.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Same algorithm name ("argon2"): hashes made with other parameters still verify, and are
    re-made with these at the next sign-in (Django's `must_update`)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
