"""The Terraform engine as a resource: where roots live, where work happens, how state is reached."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from .. import naming
from ..environments import COMPONENTS, PROJECT_ROOT, Environment
from ..lib.redact import Redactor
from ..lib.terraform import Backend, LogFn, TerraformWorkspace
from ..lib.terraform_providers import AUTO, find_mirror, write_cli_config


class UnknownComponentError(ValueError):
    """A component name that is not connectors, databases or app."""


class TerraformResource(ConfigurableResource):
    """Builds a `TerraformWorkspace` for (environment, component).

    Relative paths are taken from the project root, so the code location behaves the same whatever
    directory it was started from.
    """

    roots_dir: str = Field(default="terraform", description="Directory holding one root per component.")
    work_dir: str = Field(
        default=".credex/terraform",
        description="Data directories, plans and the shared provider cache (one per machine is enough).",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="S3 endpoint of the state backend (moto in tests); AWS when unset."
    )
    provider_mirror: str = Field(
        default=AUTO,
        description=(
            "Filesystem mirror of the Terraform providers: 'auto' (CREDEX_TF_PROVIDER_MIRROR, else "
            "/opt/tf-plugins when it holds providers, else the registry), a directory, or '' for the registry."
        ),
    )

    def _path(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path

    @property
    def work_path(self) -> Path:
        return self._path(self.work_dir)

    def root(self, component: str) -> Path:
        if component not in COMPONENTS:
            raise UnknownComponentError(f"unknown component {component!r} (one of: {', '.join(COMPONENTS)})")
        return self._path(self.roots_dir) / component

    def cli_config_file(self) -> Path | None:
        """The engine's CLI configuration installing providers from the mirror; None: the registry."""
        mirror = find_mirror(self.provider_mirror)
        return write_cli_config(mirror, self.work_path) if mirror else None

    def backend(self, environment: Environment) -> Backend:
        state = environment.state
        if state.backend == "local":
            base = Path(state.local_dir) if state.local_dir else Path("state") / environment.name
            base = base if base.is_absolute() else self.work_path / base
            return Backend(
                "local",
                {"path": str(base / "terraform.tfstate"), "workspace_dir": str(base / "workspaces")},
            )
        settings: dict[str, object] = {
            "bucket": state.bucket,
            "key": "terraform.tfstate",
            "region": environment.state_region,
            "encrypt": True,
            "use_lockfile": state.use_lockfile,
        }
        if self.s3_endpoint_url:
            settings.update(
                endpoints={"s3": self.s3_endpoint_url},
                use_path_style=True,
                skip_credentials_validation=True,
                skip_requesting_account_id=True,
                skip_metadata_api_check=True,
                skip_region_validation=True,
            )
        return Backend("s3", settings)

    def workspace(
        self,
        environment: Environment,
        component: str,
        *,
        log: LogFn | None = None,
        env: dict[str, str] | None = None,
        redactor: Redactor | None = None,
    ) -> TerraformWorkspace:
        root = self.root(component)
        workspace = TerraformWorkspace(
            root=root,
            workspace=naming.workspace(component, environment.name),
            data_dir=self.work_path / "data" / environment.name / component,
            backend=self.backend(environment),
            plugin_cache_dir=self.work_path / "plugin-cache",
            lock_timeout_seconds=environment.state.lock_timeout_seconds,
            env=env,
            log=log,
            redactor=redactor,
            cli_config_file=self.cli_config_file(),
        )
        workspace.unlock_hint = (
            f"release it with the job {naming.unlock_job(environment.name)} (run config: component: "
            f"{component}, expected_lock_id: {{lock_id}}, reason: <why>)"
        )
        return workspace

    def plan_path(self, environment: Environment, component: str, run_id: str, kind: str = "deploy") -> Path:
        return self.work_path / "plans" / environment.name / component / f"{kind}-{run_id}.tfplan"
