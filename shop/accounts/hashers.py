"""The password hasher: Argon2id with OWASP's parameters.

Django 5.2's default, PBKDF2-SHA256 with 1,000,000 iterations, cost 0.19 CPU-seconds per login or registration on
the benchmark machine: 62% of the workers' time in the purchase-flow benchmark (bench/README.md, "Profiling the
purchase flow"). Argon2id with the OWASP Password Storage Cheat Sheet's first configuration (19 MiB of memory,
2 passes, 1 lane) costs 21 ms and is memory-hard, so it resists GPU cracking better than PBKDF2 at any iteration
count. Django's own Argon2 hasher uses 100 MiB and 8 lanes (0.17 CPU-seconds here), which buys little for a web
login and puts 100 MiB per concurrent login on each worker.

Existing PBKDF2 hashes still verify (PBKDF2 stays in PASSWORD_HASHERS) and are rehashed with Argon2id at the
user's next successful login; Argon2 hashes with other parameters are rehashed the same way.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    # The algorithm name stays "argon2": the parameters are stored in each hash, and must_update() compares them.
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
