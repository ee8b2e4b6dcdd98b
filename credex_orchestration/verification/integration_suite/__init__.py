"""credex-core's integration suite, run by the integration check against an environment's base URL.

Tests are marked `read_only` (safe in production: they read, or are refused by validation before anything
is written) or `creates_data` (one new member per run; only where `verification.integration_read_only`
is false, never in production). They assert the contract of the running app as measured on credex-core's
`stage` branch (/work/shared/reference/credex-core-deploy.md; routes in src/api/*/...Routes.ts).

Nothing here is destructive. credex-core's own integration tests (tests/api/basic/basic_integration.test.ts,
`npm test dev`) start by calling `/devadmin/clearDevDBs`, which deletes the development databases, and
`/devadmin/forceDCO`; this suite calls neither (nor any `/devadmin/` route), in any environment: those
tests belong to a development database that may be wiped, these run against deployed environments.

`REQUESTS` is what each selection sends, counted by the limiter (a CORS preflight is not):
the integration check reserves that much of the run's request budget before it starts the suite, and
tests/test_verification_integration.py checks the numbers against what the stand-in counts.
"""

REQUESTS = {"read_only": 7, "creates_data": 2}
