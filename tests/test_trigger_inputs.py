"""The triggers' inputs on real parts: git on local repositories, the Packages index over loopback HTTP."""

from __future__ import annotations

import pytest

from credex_orchestration.lib.git import GitCache, GitError, ls_remote, redact_url, run_git
from credex_orchestration.lib.package_index import (
    DebianVersion,
    PackageIndexError,
    VersionError,
    fetch_index,
    newest,
    on_track,
    parse_packages,
)
from credex_orchestration.lib.rpm_repository import RepositoryError, RpmVersion, parse_primary, rpmvercmp
from credex_orchestration.triggers.paths import (
    ComponentPathsError,
    load_component_paths,
    parse_component_paths,
)

from .support.git_remote import GitRemote
from .support.package_server import PackageServer, packages_index


def v(text: str) -> DebianVersion:
    return DebianVersion.parse(text)


def test_debian_version_order_follows_dpkg() -> None:
    ordered = [
        "5.26.9",
        "1:5.0.0~rc01",
        "1:5.0.0",
        "1:5.26.2",
        "1:5.26.10",
        "1:2025.01.0",
        "1:2025.10.0",
        "2:1.0",
    ]
    assert sorted(ordered, key=v) == ordered
    assert v("1:5.26.12~beta1") < v("1:5.26.12") < v("1:5.26.12-1")
    assert v("1:5.26.010") == v("1:5.26.10")
    assert not v("1:5.26.12~rc1").is_release and not v("1:2025.01.0-alpha01").is_release
    assert v("1:5.26.12").is_release and v("1:5.26.12").numbers == (5, 26, 12)
    for bad in ("", "abc", "1:", "x:5.26"):
        with pytest.raises(VersionError, match="not a Debian version"):
            DebianVersion.parse(bad)


def test_tracks_separate_the_lts_line_from_calendar_versions() -> None:
    versions = [v(t) for t in ("1:5.26.12", "1:5.26.13~rc1", "1:5.27.0", "1:2025.01.0", "1:2025.03.0")]
    assert str(newest(versions, "5.26")) == "1:5.26.12"  # the pre-release is ignored
    assert str(newest(versions, "calendar")) == "1:2025.03.0"
    assert str(newest(versions, "2025.01")) == "1:2025.01.0"
    assert str(newest(versions, "")) == "1:2025.03.0"
    assert newest(versions, "4.4") is None
    assert not on_track(v("1:5.2.0"), "5.26")


def test_packages_index_parsing_and_its_errors() -> None:
    body = packages_index(("neo4j", "1:5.26.1"), ("neo4j-enterprise", "1:5.26.1"), ("neo4j", "1:5.26.3"))
    parsed = parse_packages(body)
    assert [str(x) for x in parsed["neo4j"]] == ["1:5.26.1", "1:5.26.3"]
    with pytest.raises(PackageIndexError, match=r"line 3: expected 'Field: value'"):
        parse_packages("Package: neo4j\nVersion: 1:5.26.1\nthis is not a field\n")
    with pytest.raises(PackageIndexError, match="needs Package and Version"):
        parse_packages("Package: neo4j\nArchitecture: all\n")
    with pytest.raises(VersionError, match=r"package 'neo4j' \(line 4\).*'five' is not a Debian version"):
        parse_packages("Package: neo4j\nVersion: 1:5.26.1\n\nPackage: neo4j\nVersion: five\n")
    with pytest.raises(PackageIndexError, match="no package stanzas"):
        parse_packages("\n\n")


def test_conditional_get_answers_304_without_a_body() -> None:
    with PackageServer(packages_index(("neo4j", "1:5.26.1"))) as server:
        first = fetch_index(server.url)
        assert first.body and first.etag and first.last_modified
        again = fetch_index(server.url, first.etag, first.last_modified)
        assert again.not_modified and again.etag == first.etag and server.not_modified == 1
        server.body = packages_index(("neo4j", "1:5.26.2"))
        changed = fetch_index(server.url, first.etag)
        assert "1:5.26.2" in changed.body and changed.etag != first.etag
        server.status = 503
        with pytest.raises(PackageIndexError, match=r"HTTP 503"):
            fetch_index(server.url)
    with pytest.raises(PackageIndexError, match="unreachable"):
        fetch_index(server.url, timeout=2)


def test_git_ls_remote_fetch_diff_and_ancestry(tmp_path) -> None:
    remote = GitRemote(tmp_path)
    base = remote.commit({"README.md": "credex-core\n"}, "initial")
    remote.push("dev")
    assert ls_remote(remote.url, ["dev", "stage"]) == {"dev": base}
    tip = remote.commit({"src/index.ts": "x\n", "terraform/app/main.tf": "#\n"}, "app change")
    remote.push("dev")
    remote.git("--git-dir", remote.url, "config", "uploadpack.allowFilter", "true")  # as GitHub allows
    cache = GitCache(tmp_path / "cache", remote.url)
    with cache.locked():
        assert cache.fetch_branch("dev") == tip
        # Commits and trees only: the files' contents (blobs) stay on the remote.
        listing = run_git(["--git-dir", str(cache.path), "rev-list", "--objects", "--missing=print", tip])
        missing = [line for line in listing.stdout.splitlines() if line.startswith("?")]
        assert len(missing) == 3  # README.md, src/index.ts, terraform/app/main.tf
        assert cache.resolve(base[:10]) == base and cache.resolve("f" * 40) is None
        assert cache.is_ancestor(base, tip) and not cache.is_ancestor(tip, base)
        assert cache.changed_paths(base, tip) == ["src/index.ts", "terraform/app/main.tf"]
        with pytest.raises(GitError, match="fetch of branch 'stage'"):
            cache.fetch_branch("stage")
    with pytest.raises(GitError, match=r"ls-remote.*nowhere"):
        ls_remote(str(tmp_path / "nowhere.git"), ["dev"])
    assert redact_url("https://bot:s3cret@github.com/x.git") == "https://***@github.com/x.git"


def test_the_checked_in_mapping_follows_credex_core_as_it_is() -> None:
    paths = load_component_paths()
    app_files = ["src/api/Member/x.ts", "config/config.ts", "Dockerfile", ".dockerignore"]
    app_files += ["package.json", "package-lock.json", "tsconfig.json"]
    for path in app_files:
        assert paths.affected([path]) == ["app"], path
    for path in (
        "docs/deploy.md",
        "tests/api/x.test.ts",
        ".github/workflows/app.yml",
        ".vscode/settings.json",
    ):
        assert paths.affected([path]) == [], path
    old = paths.classify(["terraform/connectors.tf", "terraform/modules/databases/main.tf"])
    assert old.components == [] and len(old.retired) == 2
    assert paths.classify(["scripts/x.sh"]).unmapped == ["scripts/x.sh"]
    assert paths.affected(["packages/x.json", "Dockerfile.dev"]) == []  # exact paths, `*` in one segment


def test_component_paths_rules_and_their_errors() -> None:
    paths = parse_component_paths(
        {"components": {"databases": ["db/**"]}, "every_component": ["infra.yaml"], "nothing": ["docs/**"]},
        "f.yaml",
    )
    assert paths.affected(["db/x"]) == ["databases", "app"]  # and what reads from it
    assert paths.affected(["infra.yaml", "docs/a.md"]) == ["connectors", "databases", "app"]
    for raw, message in (
        ({"components": {"cache": ["x/**"]}}, "unknown component.*cache"),
        ({"component": {}}, "unknown key.*component"),
        ({"components": {"app": ["/src/**"]}}, "must be relative"),
        ({"components": {"app": [""]}}, "empty or non-text glob"),
        ({"components": {"app": "src/**"}}, "must be a list of globs"),
        ({"components": {"app": ["src/**"]}, "nothing": ["src/**"]}, "already listed under components.app"),
    ):
        with pytest.raises(ComponentPathsError, match=message):
            parse_component_paths(raw, "f.yaml")


def test_rpm_versions_order_as_rpm_orders_them() -> None:
    ordered = ["5.0.0~rc1", "5.0.0", "5.26.2", "5.26.10", "2025.01.0", "2025.10.0"]
    assert sorted((RpmVersion(text) for text in ordered), reverse=False) == [RpmVersion(t) for t in ordered]
    assert (
        rpmvercmp("5.26.010", "5.26.10") == 0
        and rpmvercmp("1.0a", "1.0") == 1
        and rpmvercmp("1.0^", "1.0") == 1
    )
    assert RpmVersion("5.26.12", epoch=1) > RpmVersion("2025.01.0")
    assert not RpmVersion("5.26.12~rc1").is_release and RpmVersion("2025.01.0").is_release
    assert str(RpmVersion.parse("1:5.26.12-1")) == "5.26.12"
    with pytest.raises(RepositoryError, match="not an RPM version"):
        RpmVersion.parse("latest")
    with pytest.raises(RepositoryError, match="no <package> entries"):
        parse_primary(b"<metadata/>")
