"""The shipped diagrams pass bpmnlint's recommended rules and import into bpmn-js with no warnings,
so a process owner opening them in bpmn.io or Camunda Modeler sees a clean diagram."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from app.core.config import PROJECT_ROOT

DIAGRAMS = sorted((PROJECT_ROOT / "processes").glob("*.bpmn"))
BPMNLINT = PROJECT_ROOT / "web" / "node_modules" / ".bin" / "bpmnlint"


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda p: p.name)
def test_bpmnlint_recommended_finds_nothing(diagram: Path):
    if not BPMNLINT.exists() or not shutil.which("node"):
        pytest.skip("web/node_modules is not installed (make setup installs it)")
    result = subprocess.run([str(BPMNLINT), str(diagram)], cwd=PROJECT_ROOT / "web", capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def test_bpmnlint_does_report_a_broken_diagram(tmp_path: Path):
    if not BPMNLINT.exists() or not shutil.which("node"):
        pytest.skip("web/node_modules is not installed (make setup installs it)")
    broken = tmp_path / "broken.bpmn"
    referral = next(p for p in DIAGRAMS if p.name == "referral.bpmn")  # other diagrams now sort before it
    broken.write_text(referral.read_text().replace('name="Screen the contact"', 'name=""'))
    result = subprocess.run([str(BPMNLINT), str(broken)], cwd=PROJECT_ROOT / "web", capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0 and "label-required" in result.stdout


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda p: p.name)
def test_bpmn_js_imports_without_warnings(diagram: Path, page, live_server):
    page.goto(live_server + "/login")
    page.add_script_tag(url=live_server + "/static/bpmn/bpmn-modeler.production.min.js")
    page.evaluate("() => { const d = document.createElement('div'); d.id = 'canvas';"
                  " d.style.width = '1200px'; d.style.height = '800px'; document.body.appendChild(d); }")
    result = page.evaluate("""async (xml) => {
        const modeler = new BpmnJS({container: '#canvas'});
        const {warnings} = await modeler.importXML(xml);
        const {xml: saved} = await modeler.saveXML({format: true});
        return {warnings: warnings.map(w => w.message), elements: modeler.get('elementRegistry').getAll().length,
                saved};
    }""", diagram.read_text(encoding="utf-8"))
    assert result["warnings"] == []
    assert result["elements"] > 10
    # A save from the modeler must still run: the engine accepts bpmn-js's export.
    from app.engine import ProcessBundle, compile_bundle
    files = {p.name: p.read_bytes() for p in DIAGRAMS}
    files[diagram.name] = result["saved"].encode("utf-8")
    forms = {p.stem: p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "forms").glob("*.json")}
    tables = {p.name: p.read_bytes() for p in (PROJECT_ROOT / "processes").glob("*.dmn")}  # the decisions they run
    policies = (PROJECT_ROOT / "processes" / "sla-policies.toml").read_text(encoding="utf-8")  # named timescales
    assert compile_bundle(ProcessBundle(bpmn=files, forms=forms, policies=policies, dmn=tables)).user_tasks
