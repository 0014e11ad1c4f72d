"""Import guards: the agent and the tools never import torch or a model library on import.

Each check runs in a fresh interpreter with an import hook that records every attempt to import
a heavy package, so the guard holds whether or not torch is installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

HEAVY = ("torch", "torchvision", "ultralytics", "transformers", "segment_anything", "cv2",
         "timm")

_PROBE = textwrap.dedent("""
    import importlib.abc, json, sys
    HEAVY = set(sys.argv[1].split(","))
    tried = []

    class Recorder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in HEAVY:
                tried.append(name)
            return None

    sys.meta_path.insert(0, Recorder())
    for statement in sys.argv[2:]:
        exec(statement)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
    print(json.dumps({"tried": sorted(set(tried)), "loaded": loaded,
                      "langgraph": "langgraph" in sys.modules}))
""")


def probe(*statements: str) -> dict[str, object]:
    """Run ``statements`` in a fresh interpreter; report heavy imports it attempted."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "YOLO_OFFLINE": "1", "YOLO_AUTOINSTALL": "0"}
    proc = subprocess.run([sys.executable, "-c", _PROBE, ",".join(HEAVY), *statements],
                          capture_output=True, text=True, env=env, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_import_agent_is_light() -> None:
    result = probe("import agent")
    assert result == {"tried": [], "loaded": [], "langgraph": False}


@pytest.mark.parametrize("statement", [
    "import tools",
    "import agent, tools",
    "import agent.graph, agent.cli.main, agent.state, agent.answer, agent.progress",
    "from agent import run_request, build_graph, AgentResult",
    "from tools.catalog import ALL_TOOLS, tool_schemas; tool_schemas()",
])
def test_no_torch_on_import(statement: str) -> None:
    result = probe(statement)
    assert result["tried"] == [] and result["loaded"] == [], result


def test_listing_tools_from_the_cli_imports_no_model_library() -> None:
    result = probe("import io, contextlib",
                   "from agent.cli.main import main",
                   "with contextlib.redirect_stdout(io.StringIO()): main(['tools', '--json'])")
    assert result["tried"] == [] and result["loaded"] == [], result
