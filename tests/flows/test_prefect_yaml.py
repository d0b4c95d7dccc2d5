"""The deployments in prefect.yaml point at flows that load."""

from __future__ import annotations

import yaml
from prefect.flows import load_flow_from_entrypoint


def test_prefect_yaml_entrypoints_load(repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    config = yaml.safe_load((repo_root / "prefect.yaml").read_text(encoding="utf-8"))

    deployments = config["deployments"]

    assert deployments
    for deployment in deployments:
        flow = load_flow_from_entrypoint(deployment["entrypoint"])
        assert flow.name.startswith("filmroom")
        assert set(deployment.get("parameters", {})) <= set(flow.parameters.properties)
