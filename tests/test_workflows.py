"""The GitHub workflows: they parse, name things that exist, and their scripts do what they say when run."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from credex_orchestration import naming
from credex_orchestration.definitions import build_definitions
from credex_orchestration.environments import load_environments

from .support.deploys import fixture_deploy_overrides
from .support.environments import local_environments_file
from .support.terraform_roots import FIXTURE_ROOTS_DIR as FIXTURE_ROOTS

PROJECT = Path(__file__).resolve().parent.parent
WORKFLOWS = PROJECT / ".github" / "workflows"
BIN = Path(sys.executable).parent


def _workflow(name: str) -> dict:
    raw = yaml.safe_load((WORKFLOWS / name).read_text())
    raw["on"] = raw.pop(True, raw.get("on"))  # YAML 1.1 reads the key `on` as true
    return raw


def _steps(workflow: dict, job: str) -> dict[str, dict]:
    return {step.get("name") or step["uses"]: step for step in workflow["jobs"][job]["steps"]}


def _run_step(step: dict, env: dict[str, str], cwd: Path = PROJECT) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _commands(workflow: dict) -> list[str]:
    return [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_scripts_name_files_and_tools_that_exist(name: str) -> None:
    for script in _commands(_workflow(name)):
        for path in re.findall(r"bash ((?:scripts|\.ci)/[\w.-]+)", script):
            assert (PROJECT / path).is_file(), f"{name} runs {path}, which does not exist"
        for tool in re.findall(r"\.venv/bin/([\w-]+)", script):
            assert (BIN / tool).is_file(), f"{name} runs .venv/bin/{tool}, which is not installed"
        assert "${{" not in script, f"{name}: a run script pastes an expression (use env:): {script[:80]}"


def test_ci_validates_the_code_location_and_runs_the_readme_test_command() -> None:
    workflow = _workflow("ci.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    scripts = "\n".join(_commands(workflow))
    assert ".venv/bin/dg check defs" in scripts
    assert "bash scripts/install" in scripts and "bash .ci/run" in scripts
    assert "bash scripts/test" in (PROJECT / ".ci" / "run").read_text()  # the README's test command
    services = workflow["jobs"]["test"]["services"]
    assert services["postgres"]["env"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    assert "5432:5432" in services["postgres"]["ports"]


def test_deploy_offers_every_environment_and_its_job_exists(environments) -> None:
    workflow = _workflow("deploy.yml")
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    checked_in = load_environments()
    assert inputs["environment"]["options"] == list(checked_in)
    assert {"git_sha", "use_existing_resources", "run_cleanup", "confirm_environment"} <= set(inputs)
    defs = build_definitions(environments)
    for name in inputs["environment"]["options"]:
        assert defs.resolve_job_def(f"deploy_{name}").tags["credex/environment"] == name
    deploy = _steps(workflow, "deploy")["Deploy"]["run"]
    assert '.venv/bin/dg launch --job "deploy_$ENVIRONMENT"' in deploy
    assert workflow["concurrency"]["group"] == "deploy-${{ inputs.environment }}"
    assert workflow["permissions"] == {"id-token": "write", "contents": "read"}


@pytest.mark.parametrize(
    ("environment", "confirmation", "allowed"),
    [
        ("production", "", False),
        ("production", "staging", False),
        ("production", "production", True),
        ("staging", "", True),
    ],
)
def test_production_needs_its_name_typed(environment: str, confirmation: str, allowed: bool) -> None:
    guard = _steps(_workflow("deploy.yml"), "deploy")["Confirm production"]
    result = _run_step(guard, {"ENVIRONMENT": environment, "CONFIRM_ENVIRONMENT": confirmation})
    assert (result.returncode == 0) is allowed, result.stdout + result.stderr
    if not allowed:
        assert "confirm_environment=production" in result.stdout


@pytest.mark.slow
def test_deploy_steps_deploy_development_on_fixture_roots(tmp_path: Path, terraform) -> None:
    """The workflow's own scripts, run as GitHub would run them (AWS login aside), on fixture roots."""
    steps = _steps(_workflow("deploy.yml"), "deploy")
    environments_file = local_environments_file(tmp_path, fixture_deploy_overrides("development"))
    env = {
        "RUNNER_TEMP": str(tmp_path),
        "ENVIRONMENT": "development",
        "GIT_SHA": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
        "USE_EXISTING_RESOURCES": "false",
        "RUN_CLEANUP": "false",
        "CONFIRM_ENVIRONMENT": "",
        "CREDEX_ENVIRONMENTS_FILE": str(environments_file),
        "CREDEX_TERRAFORM_ROOTS": str(FIXTURE_ROOTS),
        "CREDEX_WORK_DIR": terraform.work_dir,
    }
    for name in ("Confirm production", "Write the run config", "Deploy"):
        result = _run_step(steps[name], env)
        assert result.returncode == 0, f"{name}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    run_config = yaml.safe_load((tmp_path / "run_config.yaml").read_text())
    assert run_config["ops"]["development__app"]["config"]["git_sha"] == env["GIT_SHA"]
    assert "RUN_SUCCESS" in result.stdout + result.stderr
    environments = load_environments(environments_file)
    image = terraform.workspace(environments["development"], "app").outputs()["image_tag"].value
    assert image == env["GIT_SHA"]


def test_dependabot_keeps_python_and_actions_current() -> None:
    config = yaml.safe_load((PROJECT / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    ecosystems = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(ecosystems) == {"pip", "github-actions"}
    assert all(update["directory"] == "/" for update in config["updates"])
    # The Dagster family pins dagster exactly: its packages must move in one pull request.
    assert "dagster-*" in ecosystems["pip"]["groups"]["dagster"]["patterns"]


def _image_workflow() -> dict:
    text = (PROJECT / "docs" / "credex-core-image-workflow.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1, "docs/credex-core-image-workflow.md should hold exactly one yaml block"
    raw = yaml.safe_load(blocks[0])
    raw["on"] = raw.pop(True, raw.get("on"))
    return raw


def test_image_workflow_builds_every_branch_into_its_environments_repository(tmp_path: Path) -> None:
    workflow = _image_workflow()
    checked_in = load_environments()
    assert sorted(workflow["on"]["push"]["branches"]) == sorted(env.branch for env in checked_in.values())
    assert workflow["permissions"] == {"id-token": "write", "contents": "read"}
    job = workflow["jobs"]["image"]
    assert job["env"]["IMAGE_TAG"] == "${{ github.sha }}"
    steps = _steps(workflow, "image")
    scripts = "\n".join(step.get("run", "") for step in steps.values())
    assert "--build-arg" not in scripts and "secrets." not in yaml.safe_dump(workflow)
    assert (
        "vars.AWS_ECR_PUSH_ROLE_ARN"
        in steps["aws-actions/configure-aws-credentials@v4"]["with"]["role-to-assume"]
    )
    for environment in checked_in.values():
        github_env = tmp_path / f"github_env_{environment.name}"
        result = _run_step(
            steps["Environment of the branch"], {"BRANCH": environment.branch, "GITHUB_ENV": str(github_env)}
        )
        assert result.returncode == 0, result.stdout
        assert github_env.read_text().strip() == f"ECR_REPOSITORY={naming.ecr_repository(environment)}"
    unknown = _run_step(
        steps["Environment of the branch"], {"BRANCH": "main", "GITHUB_ENV": str(tmp_path / "x")}
    )
    assert unknown.returncode == 1 and "no environment deploys branch main" in unknown.stdout
    build = steps["Build"]["run"]
    assert '-t "$REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG"' in build
    assert shlex.split(steps["Push"]["run"]) == ["docker", "push", "$REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG"]
