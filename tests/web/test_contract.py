"""The public surface the house plan must not move: every URL rule and the OpenAPI document.

The snapshots in ``tests/snapshots/`` were taken before the code was reorganised. A change to
either is a change of behaviour: make it on purpose, then refresh them with
``REBOUND_UPDATE_SNAPSHOTS=1 pytest tests/web/test_contract.py`` and say why in the commit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"


def url_map(app) -> list[dict]:
    """Each rule with its endpoint and methods (HEAD and OPTIONS are implied by Flask)."""
    rules = (
        {"rule": r.rule, "endpoint": r.endpoint, "methods": sorted(r.methods - {"HEAD", "OPTIONS"})}
        for r in app.url_map.iter_rules()
    )
    return sorted(rules, key=lambda rule: (rule["rule"], rule["endpoint"]))


def matches_snapshot(name: str, value) -> bool:
    path = SNAPSHOTS / name
    text = json.dumps(value, indent=1, sort_keys=True) + "\n"
    if os.environ.get("REBOUND_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text)
    return path.read_text() == text


def test_the_url_map_is_unchanged(app):
    assert matches_snapshot("url_map.json", url_map(app))


def test_the_openapi_document_is_unchanged(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert matches_snapshot("openapi.json", response.json)


@pytest.mark.parametrize("name", ["url_map.json", "openapi.json"])
def test_the_snapshots_are_not_empty(name):
    assert len(json.loads((SNAPSHOTS / name).read_text())) > 2
