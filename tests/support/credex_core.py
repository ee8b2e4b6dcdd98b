"""A real git repository shaped like credex-core (Great-Sun-Group/credex-core, `stage` branch, 2024-11).

Its top level is credex-core's (`src/ config/ docs/ tests/ terraform/ .github/ .vscode/ Dockerfile
package.json ...`, with the old Terraform at `terraform/*.tf` and `terraform/modules/`), and its history
has credex-core's shapes: merges into `prod` whose tree equals a `stage` commit, docs-only commits, bursts
of commits minutes apart, force-pushes. Built with real `git` into a bare remote plus a working clone.
"""

from __future__ import annotations

from pathlib import Path

from .git_remote import GitRemote

# credex-core's layout (reference/credex-core-deploy.md), one small file per entry.
LAYOUT = {
    ".devcontainer/devcontainer.json": "{}\n",
    ".dockerignore": "node_modules\n",
    ".env.example": "JWT_SECRET=\n",
    ".github/workflows/app.yml": "name: Deploy Application\n",
    ".github/workflows/connectors.yml": "name: connectors\n",
    ".gitignore": "node_modules\n",
    ".vscode/settings.json": "{}\n",
    "Dockerfile": "FROM node:18.17.1-alpine AS build\nCOPY . .\nRUN npm run build\n",
    "LICENSE": "license\n",
    "README.md": "credex-core\n",
    "config/config.ts": "export const config = {}\n",
    "docker-compose.dev.yml": "services: {}\n",
    "docker-compose.yml": "services: {}\n",
    "docs/deploy.md": "how to deploy\n",
    "jest.config.js": "module.exports = {}\n",
    "nodemon.json": "{}\n",
    "package-lock.json": "{}\n",
    "package.json": '{"name": "credex-core"}\n',
    "projects/notes.md": "notes\n",
    "src/index.ts": "export {}\n",
    "src/api/Member/controllers/onboardMember.ts": "export {}\n",
    "terraform/app.tf": "# app\n",
    "terraform/connectors.tf": "# connectors\n",
    "terraform/databases.tf": "# databases\n",
    "terraform/modules/databases/main.tf": "# module\n",
    "tests/api/basic/basic_integration.test.ts": "test\n",
    "tsconfig.json": "{}\n",
}


class CredexCore(GitRemote):
    """credex-core's branches `dev`, `stage`, `prod`, all at an initial commit of its layout."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.counter = 0
        self.commit(LAYOUT, "initial layout")
        for branch in ("dev", "stage", "prod"):
            self.checkout(branch, create_from="dev" if branch != "dev" else None)
            self.push(branch)

    def change(self, branch: str, *paths: str, message: str = "") -> str:
        """One commit on `branch` touching `paths` (new content each time), pushed."""
        self.checkout(branch)
        self.counter += 1
        sha = self.commit(
            {path: f"change {self.counter}\n" for path in paths}, message or f"change {self.counter}"
        )
        self.push(branch)
        return sha

    def burst(self, branch: str, count: int, path: str = "src/index.ts") -> list[str]:
        """`count` commits on `branch`, each pushed (credex-core: up to 10 an hour on `stage`)."""
        return [self.change(branch, path, message=f"burst {n}") for n in range(count)]

    def merge_into_prod(self) -> str:
        """Merge `stage` into `prod` with a merge commit (--no-ff), pushed: its tree is stage's tip's."""
        self.checkout("prod")
        self.git("merge", "--quiet", "--no-ff", "-m", "Merge stage into prod", "stage")
        return self.push("prod")

    def tree(self, sha: str) -> str:
        return self.git("rev-parse", f"{sha}^{{tree}}")

    def reset_to(self, branch: str, sha: str) -> str:
        """Point `branch` back at an earlier `sha` and force-push (a revert by reset, a rollback)."""
        self.checkout(branch)
        self.git("reset", "--quiet", "--hard", sha)
        return self.push(branch, force=True)
