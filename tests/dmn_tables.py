"""Small decision tables and a one-step process that runs one, as a process owner would draw them."""
from __future__ import annotations

import itertools
from xml.sax.saxutils import escape

from app.engine import ProcessBundle

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def table(decision_id: str, inputs: list[str], outputs: list[str], rules: list[tuple[list[str], list[str]]],
          hit_policy: str = "UNIQUE", extra: str = "") -> bytes:
    """A DMN 1.3 file as dmn-js saves it: one decision, one table, '-' or an entry per cell."""
    heads = "".join(f'<input id="in_{i}" label="{escape(e)}"><inputExpression id="ie_{i}" typeRef="string">'
                    f"<text>{escape(e)}</text></inputExpression></input>" for i, e in enumerate(inputs))
    outs = "".join(f'<output id="out_{i}" label="{n}" name="{n}" typeRef="string" />' for i, n in enumerate(outputs))
    rows = ""
    for r, (entries, results) in enumerate(rules):
        cells = "".join(f'<inputEntry id="r{r}_i{i}"><text>{escape(e)}</text></inputEntry>'
                        for i, e in enumerate(entries))
        cells += "".join(f'<outputEntry id="r{r}_o{i}"><text>{escape(e)}</text></outputEntry>'
                         for i, e in enumerate(results))
        rows += f'\n      <rule id="rule_{r}">{cells}</rule>'
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="{DMN_NS}" id="defs_{decision_id}" '
            f'name="{decision_id}" namespace="http://camunda.org/schema/1.0/dmn">\n'
            f'  <decision id="{decision_id}" name="{decision_id.title()}">\n'
            f'    <decisionTable id="table_{decision_id}" hitPolicy="{hit_policy}"{extra}>\n'
            f"      {heads}{outs}{rows}\n    </decisionTable>\n  </decision>\n</definitions>\n").encode()


def process(decision_ref: str | None, process_id: str = "decide", after: str = "") -> bytes:
    """start -> business rule task (runs the decision) -> [a script reading its outputs] -> end, drawn."""
    ref = f' camunda:decisionRef="{decision_ref}"' if decision_ref else ""
    steps = [("start", "startEvent", ' name="Contact in"'),
             ("decide_it", "businessRuleTask", f' name="Decide it"{ref}')]
    if after:
        steps.append(("use_it", "scriptTask", ' name="Use it" scriptFormat="python"'))
    steps.append(("end", "endEvent", ' name="Decided"'))
    flows = [(f"f{i}", a[0], b[0]) for i, (a, b) in enumerate(itertools.pairwise(steps))]
    body, shapes = "", ""
    for x, (step_id, kind, attributes) in enumerate(steps):
        inner = "".join(f"<bpmn:incoming>{f}</bpmn:incoming>" for f, _s, t in flows if t == step_id)
        inner += "".join(f"<bpmn:outgoing>{f}</bpmn:outgoing>" for f, s_, _t in flows if s_ == step_id)
        if step_id == "use_it":
            inner += f"<bpmn:script>{escape(after)}</bpmn:script>"
        body += f'<bpmn:{kind} id="{step_id}"{attributes}>{inner}</bpmn:{kind}>\n    '
        shapes += (f'<bpmndi:BPMNShape id="{step_id}_di" bpmnElement="{step_id}"><dc:Bounds x="{150 * x + 100}" '
                   'y="100" width="100" height="80" /></bpmndi:BPMNShape>')
    for flow_id, source, target in flows:
        body += f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />'
        x = 150 * [s[0] for s in steps].index(source) + 200
        shapes += (f'<bpmndi:BPMNEdge id="{flow_id}_di" bpmnElement="{flow_id}"><di:waypoint x="{x}" y="140" />'
                   f'<di:waypoint x="{x + 50}" y="140" /></bpmndi:BPMNEdge>')
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{process_id}" isExecutable="true">
    {body}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="{process_id}">{shapes}</bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
""".encode()


def bundle(dmn: dict[str, bytes], decision_ref: str | None = "decide", after: str = "") -> ProcessBundle:
    return ProcessBundle(bpmn={"decide.bpmn": process(decision_ref, after=after)}, forms={}, dmn=dmn)
