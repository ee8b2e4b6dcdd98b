"""`python -m credex_orchestration.deploy.run_config <environment> [...] > run_config.yaml`: a deploy's run
config for the CLI (`dg launch --job deploy_<env> -c run_config.yaml`), the same the UI's launchpad fills."""

from __future__ import annotations

import argparse
import sys

import yaml

from ..environments import COMPONENTS, EnvironmentsFileError, UnknownEnvironmentError, load_environments
from .config import deploy_run_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m credex_orchestration.deploy.run_config")
    parser.add_argument("environment", help="an environment of the environments file, e.g. development")
    parser.add_argument("--git-sha", default="", help="credex-core commit whose image is in ECR (app)")
    parser.add_argument("--components", nargs="+", choices=COMPONENTS, default=list(COMPONENTS))
    parser.add_argument("--use-existing-resources", action="store_true")
    parser.add_argument("--confirm-environment", default="", help="the environment's name, for production")
    args = parser.parse_args(argv)
    try:
        environment = load_environments()[args.environment]
    except (EnvironmentsFileError, UnknownEnvironmentError) as error:
        print(f"run_config: {error}", file=sys.stderr)
        return 2
    config = deploy_run_config(
        environment,
        args.components,
        git_sha=args.git_sha,
        use_existing_resources=args.use_existing_resources,
        confirm_environment=args.confirm_environment,
    )
    sys.stdout.write(yaml.safe_dump(config, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
