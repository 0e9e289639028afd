"""Every asset links to its source in the UI: the repository's file and line, or a local path."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from dagster import LocalFileCodeReference, UrlCodeReference

from dixa_assets.definitions import build_definitions
from dixa_assets.defs import code_references as code_references
from dixa_assets.settings import Settings

ROOT = Path(__file__).resolve().parent.parent.parent


def _references(monkeypatch) -> dict[str, list]:
    monkeypatch.delenv("DIXA_DATA_DIR", raising=False)
    graph = build_definitions(Settings.from_env()).resolve_asset_graph()
    return {
        key.to_user_string(): graph.get(key).metadata["dagster/code_references"].code_references
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable
    }


@pytest.mark.parametrize(
    "remote", ["https://github.com/acme/dixa_assets.git", "git@github.com:acme/dixa_assets.git"]
)
def test_each_asset_links_to_its_line_in_the_repository(monkeypatch, remote):
    monkeypatch.setenv("DIXA_GIT_URL", remote)
    monkeypatch.setenv("DIXA_GIT_REF", "v1.2")
    references = _references(monkeypatch)
    assert {"dixa_conversations", "dixa_messages", "conversations", "dixa_erasures"} <= set(
        references
    )
    prefix = "https://github.com/acme/dixa_assets/tree/v1.2/"
    for name, (reference,) in references.items():
        assert isinstance(reference, UrlCodeReference), name
        assert reference.url.startswith(prefix), reference.url
        path, _, line = reference.url.removeprefix(prefix).partition("#L")
        # The line is the asset's decorator (or function) in the file the link names.
        source = (ROOT / path).read_text().splitlines()
        assert source[int(line) - 1].lstrip().startswith(("@", "def ")), (name, reference.url)


def test_without_a_remote_the_references_stay_local_paths(monkeypatch, tmp_path):
    """A checkout with no remote (or no git at all) still loads, with local file references."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.setattr(code_references, "PROJECT_ROOT", tmp_path)
    monkeypatch.delenv("DIXA_GIT_URL", raising=False)
    for name, (reference,) in _references(monkeypatch).items():
        assert isinstance(reference, LocalFileCodeReference), name
        assert Path(reference.file_path).is_file() and reference.line_number > 0
