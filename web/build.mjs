// Copies the browser assets the Flask app serves into app/static/ (build output, not committed).
//
//   npm ci && npm run build
//
// GOV.UK Frontend ships a precompiled CSS file and an ES module, and bpmn-js ships UMD bundles that
// expose window.BpmnJS; those are copied as they are. The app's own diagram scripts (web/src/*.js:
// the modeler, the process maps, token simulation) import bpmn-js modules and are bundled by esbuild
// into app/static/js/<name>.js, one self-contained file each.
//
// One change is made on the way: GOV.UK Frontend's precompiled CSS uses the GDS Transport font,
// which is reserved for services on GOV.UK. A council service must not use it, so the two
// @font-face rules are dropped and the font stack falls back to Arial (what the Sass setting
// $govuk-font-family would do if we compiled the Sass ourselves).

import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(fileURLToPath(import.meta.url));
const root = join(web, "..");
const modules = join(web, "node_modules");
const staticDir = join(root, "app", "static");

const pinned = JSON.parse(readFileSync(join(web, "package.json"), "utf8")).dependencies;

// A stale node_modules (installed before a pin changed) would silently ship the wrong version.
for (const [name, version] of Object.entries(pinned)) {
  const manifest = join(modules, name, "package.json");
  if (!existsSync(manifest)) fail(`${name} is not installed: run "npm ci" in web/ first`);
  const installed = JSON.parse(readFileSync(manifest, "utf8")).version;
  if (installed !== version) {
    fail(`${name} ${installed} is installed but package.json pins ${version}: run "npm ci"`);
  }
}

const govukDist = join(modules, "govuk-frontend", "dist", "govuk");
const bpmnDist = join(modules, "bpmn-js", "dist");

// GOV.UK Frontend
const govukOut = join(staticDir, "govuk");
fresh(govukOut);
const govukCss = readFileSync(join(govukDist, "govuk-frontend.min.css"), "utf8");
writeFileSync(join(govukOut, "govuk-frontend.min.css"), withoutGdsTransport(govukCss));
copy(join(govukDist, "govuk-frontend.min.js"), join(govukOut, "govuk-frontend.min.js"));
copy(join(govukDist, "assets"), join(govukOut, "assets"));

// bpmn-js: the navigated viewer for case pages, the modeler for process owners
const bpmnOut = join(staticDir, "bpmn");
fresh(bpmnOut);
for (const file of ["bpmn-navigated-viewer.production.min.js", "bpmn-modeler.production.min.js"]) {
  copy(join(bpmnDist, file), join(bpmnOut, file));
}
copy(join(bpmnDist, "assets"), join(bpmnOut, "assets"));
copy(join(modules, "bpmn-js-token-simulation", "assets", "css", "bpmn-js-token-simulation.css"),
  join(bpmnOut, "token-simulation.css"));
// The maps' mini-map (web/src/maps.js): where on a large diagram the part shown sits.
copy(join(modules, "diagram-js-minimap", "assets", "diagram-js-minimap.css"), join(bpmnOut, "minimap.css"));
// What the app reads from a diagram is in the camunda: namespace (formKey, properties).
copy(join(modules, "camunda-bpmn-moddle", "resources", "camunda.json"), join(bpmnOut, "camunda-moddle.json"));

// dmn-js: the decision table editor beside the diagrams in the modeler (web/src/tables.js, which bundles only
// the table editor of dmn-js); its style sheets, and the dmn font (the table's icons) as dmn-js ships it.
const dmnOut = join(staticDir, "dmn");
fresh(dmnOut);
for (const [pkg, file] of [["dmn-js-shared", "dmn-js-shared.css"], ["dmn-js-decision-table", "dmn-js-decision-table.css"],
  ["dmn-js-decision-table", "dmn-js-decision-table-controls.css"]]) {
  copy(join(modules, pkg, "assets", "css", file), join(dmnOut, file));
}
copy(join(modules, "dmn-js", "dist", "assets", "dmn-font"), join(dmnOut, "dmn-font"));

// The app's diagram scripts, bundled
const jsOut = join(staticDir, "js");
fresh(jsOut);
const entries = readdirSync(join(web, "src")).filter((name) => name.endsWith(".js")).map((name) => join(web, "src", name));
if (entries.length) {
  await build({
    entryPoints: entries, outdir: jsOut, bundle: true, minify: true, format: "iife", target: "es2020",
    legalComments: "none", logLevel: "error",
  });
}

// The app's own few styles and scripts
copy(join(root, "app", "static_src", "app.css"), join(staticDir, "app.css"));
copy(join(root, "app", "static_src", "dashboard.js"), join(staticDir, "dashboard.js"));

const versions = `govuk-frontend ${pinned["govuk-frontend"]}, bpmn-js ${pinned["bpmn-js"]}, dmn-js ${pinned["dmn-js"]}`;
console.log(`Built ${relative(root, staticDir)}/ (${versions}; Arial in place of GDS Transport)`);

function withoutGdsTransport(css) {
  const fontFaces = /@font-face\{font-family:GDS Transport;[^}]*\}/g;
  const found = css.match(fontFaces) ?? [];
  if (found.length !== 2) {
    fail(`expected 2 GDS Transport @font-face rules in govuk-frontend.min.css, found ${found.length}`);
  }
  const out = css
    .replace(fontFaces, "")
    .replaceAll("font-family:GDS Transport,arial,sans-serif", "font-family:arial,sans-serif");
  if (out.includes("GDS Transport")) fail("govuk-frontend.min.css still mentions GDS Transport after the rewrite");
  return out;
}

function fresh(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

function copy(from, to) {
  if (!existsSync(from)) fail(`missing ${relative(root, from)}`);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}

function fail(message) {
  console.error(`build.mjs: ${message}`);
  process.exit(1);
}
