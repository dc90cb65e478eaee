// Lints diagrams with bpmnlint for the deploy pipeline (app/process_models/lint.py runs this).
//
//   echo '{"files": {"referral.bpmn": "<xml…>"}}' | node lint.mjs
//
// Prints one JSON array: [{file, element_id, rule, category: "error"|"warn", message}]. The rules are
// web/.bpmnlintrc (bpmnlint:recommended), the same file the editors' lint plugins and `npm run lint:bpmn` read.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { BpmnModdle } = require("bpmn-moddle");
const Linter = require("bpmnlint/lib/linter");
const NodeResolver = require("bpmnlint/lib/resolver/node-resolver");

const config = JSON.parse(readFileSync(join(web, ".bpmnlintrc"), "utf8"));
const { files } = JSON.parse(readFileSync(0, "utf8"));
const findings = [];

for (const [file, xml] of Object.entries(files)) {
  let root;
  try {
    const { rootElement, warnings = [] } = await new BpmnModdle().fromXML(xml);
    root = rootElement;
    for (const warning of warnings) {
      findings.push({ file, element_id: warning.element?.id ?? null, rule: "import",
        category: "error", message: warning.message.split("\n")[0] });
    }
  } catch (error) {
    findings.push({ file, element_id: null, rule: "import", category: "error",
      message: `the diagram cannot be read: ${error.message.split("\n")[0]}` });
    continue;
  }
  // One linter per file: some rules keep state between runs (no-duplicate-sequence-flows).
  const linter = new Linter({ config, resolver: new NodeResolver({ require }) });
  const reports = await linter.lint(root);
  for (const [rule, items] of Object.entries(reports)) {
    for (const item of items) {
      findings.push({ file, element_id: item.id ?? null, rule, category: item.category, message: item.message });
    }
  }
}
process.stdout.write(JSON.stringify(findings));
