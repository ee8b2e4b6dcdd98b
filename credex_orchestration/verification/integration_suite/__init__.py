"""credex-core's integration suite, run by check 5 against an environment's base URL in a subprocess.

Tests are marked `read_only` (safe in production) or `creates_data` (development and staging only).
"""
