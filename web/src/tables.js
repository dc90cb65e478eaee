// The decision tables of a version in the in-app modeler (app/modeler, page modeler/edit_table.html): dmn-js's
// decision table editor, the deploy pipeline's own findings (rule by rule) beside it, and deploy. A table's
// entries are Python expressions (what the engine evaluates), so dmn-js is told Python is the language of
// every cell: a cell is then a plain editable text box, which the keyboard reaches with Tab and the arrow keys.
import DecisionTableEditor from "dmn-js-decision-table/lib/Editor";
import simpleBooleanEditModule from "dmn-js-decision-table/lib/features/simple-boolean-edit";
import simpleDateEditModule from "dmn-js-decision-table/lib/features/simple-date-edit";
import simpleDateTimeEditModule from "dmn-js-decision-table/lib/features/simple-date-time-edit";
import simpleDurationEditModule from "dmn-js-decision-table/lib/features/simple-duration-edit";
import simpleModeModule from "dmn-js-decision-table/lib/features/simple-mode";
import simpleNumberEditModule from "dmn-js-decision-table/lib/features/simple-number-edit";
import simpleStringEditModule from "dmn-js-decision-table/lib/features/simple-string-edit";
import simpleTimeEditModule from "dmn-js-decision-table/lib/features/simple-time-edit";
import EditingManager from "dmn-js-shared/lib/base/EditingManager";
import { is } from "dmn-js-shared/lib/util/ModelUtil";

const CHECK_DELAY_MS = 1200;
const PYTHON = { expressionLanguages: { options: [{ value: "python", label: "Python" }], defaults: { editor: "python" } } };

// dmn-js's "simple mode" pop-ups write FEEL (true, [1..5], "a","b"), which the engine does not evaluate: a
// process owner types the Python entry into the cell instead.
const FEEL_WRITERS = [simpleModeModule, simpleBooleanEditModule, simpleDateEditModule, simpleDateTimeEditModule,
  simpleDurationEditModule, simpleNumberEditModule, simpleStringEditModule, simpleTimeEditModule];

class PythonTableEditor extends DecisionTableEditor {
  getModules() {
    return super.getModules().filter((module) => !FEEL_WRITERS.includes(module));
  }
}

// dmn-js's Modeler with one view: a decision's table (no requirements diagram, literal or boxed expressions).
class TableModeler extends EditingManager {
  _getViewProviders() {
    return [{
      id: "decisionTable",
      constructor: PythonTableEditor,
      opens: (element) => is(element, "dmn:Decision") && is(element.decisionLogic, "dmn:DecisionTable"),
    }];
  }
}

function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

class TablePage {
  constructor(config, csrfToken) {
    this.config = config;
    this.csrfToken = csrfToken;
    this.dirty = false;
    this.problems = [];
    this.checkTimer = null;
    this.checkSeq = 0;
    this.originalXml = "";
    this.watched = new WeakSet();

    this.canvasEl = document.getElementById("tables-canvas");
    this.chooserEl = document.getElementById("tables-chooser");
    this.lintEl = document.getElementById("modeler-lint");
    this.problemsEl = document.getElementById("modeler-problems");
    this.bannerEl = document.getElementById("modeler-banner");

    this.modeler = new TableModeler({ container: this.canvasEl, common: PYTHON });
    this.modeler.on("views.changed", () => this.viewOpened());
    // dmn-js redraws the table on every change: the cells get their labels again each time.
    new MutationObserver(() => this.labelCells()).observe(this.canvasEl, { childList: true, subtree: true });
  }

  async start() {
    this.wireControls();
    const response = await fetch(this.config.tableUrl, { credentials: "same-origin" });
    if (!response.ok) {
      this.lintStatus("error", `The table could not be loaded (the server answered ${response.status}).`);
      return;
    }
    this.originalXml = await response.text();
    await this.load(this.originalXml);
  }

  async load(xml) {
    const { warnings } = await this.modeler.importXML(xml);
    if (warnings.length) console.warn(`dmn-js: ${warnings.length} import warnings`, warnings);
    this.fillChooser();
    await this.openTable(this.tables()[0]);
    this.dirty = false;
    this.updateUndoButtons();
    await this.check({ focus: false });
  }

  wireControls() {
    const on = (id, handler) => document.getElementById(id).addEventListener("click", handler);
    on("modeler-undo", () => this.commandStack()?.undo());
    on("modeler-redo", () => this.commandStack()?.redo());
    on("modeler-check", () => this.check({ focus: true }));
    on("modeler-download", () => this.download());
    on("modeler-revert", () => this.revert());
    on("tables-show", () => this.openTable(this.tables().find((view) => view.element.id === this.chooserEl.value)));
    document.getElementById("modeler-deploy-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.deploy();
    });
    window.addEventListener("beforeunload", (event) => {
      if (!this.dirty) return;
      event.preventDefault();
      event.returnValue = "";
    });
  }

  // -- the decisions of the file: each decision table is a view of dmn-js
  tables() {
    return this.modeler.getViews().filter((view) => view.type === "decisionTable");
  }

  fillChooser() {
    const tables = this.tables();
    this.chooserEl.replaceChildren(...tables.map((view) =>
      h("option", { value: view.element.id, text: `${view.element.name || view.element.id} (${view.element.id})` })));
    document.getElementById("tables-chooser-group").hidden = tables.length < 2;
  }

  async openTable(view) {
    if (!view) {
      this.lintStatus("error", "This file has no decision table to edit.");
      return;
    }
    const active = this.modeler.getActiveView();
    if (!active || active.element !== view.element) await this.modeler.open(view);
    this.chooserEl.value = view.element.id;
  }

  viewOpened() {
    const viewer = this.modeler.getActiveViewer();
    if (!viewer || this.watched.has(viewer)) return;
    this.watched.add(viewer);
    // "clear" is a table being imported, not an edit.
    viewer.get("eventBus").on("commandStack.changed", ({ trigger }) => trigger !== "clear" && this.changed());
  }

  commandStack() {
    const viewer = this.modeler.getActiveViewer();
    return viewer ? viewer.get("commandStack") : null;
  }

  changed() {
    this.dirty = true;
    this.updateUndoButtons();
    clearTimeout(this.checkTimer);
    this.checkSeq += 1; // an answer to a check of the table before this change is out of date
    this.lintStatus("busy", "Changed: the table will be checked in a moment.");
    this.checkTimer = setTimeout(() => this.check({ focus: false }), CHECK_DELAY_MS);
  }

  updateUndoButtons() {
    const stack = this.commandStack();
    document.getElementById("modeler-undo").disabled = !stack || !stack.canUndo();
    document.getElementById("modeler-redo").disabled = !stack || !stack.canRedo();
  }

  // -- what a screen reader says in a cell: the rule and the column, as the table's headings show them
  labelCells() {
    const table = this.canvasEl.querySelector("table");
    if (!table) return;
    const headings = new Map();
    for (const cell of table.querySelectorAll("thead th[data-col-id]")) {
      const name = [".input-label", ".output-label", ".input-expression", ".output-name", ".output-variable"]
        .map((selector) => cell.querySelector(selector)).find((found) => found && found.textContent.trim());
      const text = name ? name.textContent.replace(/\s+/g, " ").trim() : cell.dataset.colId;
      headings.set(cell.dataset.colId, `${cell.classList.contains("output-cell") ? "Output" : "Input"} ${text}`);
    }
    table.querySelectorAll("tbody tr").forEach((row, index) => {
      for (const cell of row.querySelectorAll("td.cell")) {
        const editable = cell.querySelector("[contenteditable]");
        if (!editable) continue;
        const column = headings.get(cell.dataset.colId)
          || (cell.classList.contains("annotation") ? "Annotation" : "Cell");
        const label = `Rule ${index + 1}, ${column}`;
        if (editable.getAttribute("aria-label") !== label) editable.setAttribute("aria-label", label);
        if (editable.getAttribute("role") !== "textbox") editable.setAttribute("role", "textbox");
      }
    });
    this.markRules();
  }

  markRules() {
    const rows = this.canvasEl.querySelectorAll("tbody tr");
    const wrong = new Set(this.problemsHere().map((problem) => problem.rule).filter(Boolean));
    rows.forEach((row, index) => {
      const marked = wrong.has(index + 1);
      if (row.classList.contains("mash-tables__problem") !== marked) row.classList.toggle("mash-tables__problem", marked);
    });
  }

  problemsHere() {
    const open = this.modeler.getActiveView();
    return this.problems.filter((problem) => problem.file === this.config.file
      && (!problem.element_id || !open || problem.element_id === open.element.id));
  }

  async showRule(problem) {
    const view = this.tables().find((candidate) => candidate.element.id === problem.element_id);
    if (view) await this.openTable(view);
    const row = this.canvasEl.querySelectorAll("tbody tr")[problem.rule - 1];
    const cell = row ? row.querySelector("[contenteditable]") : null;
    if (cell) {
      cell.scrollIntoView({ block: "nearest" });
      cell.focus();
    }
  }

  // -- the file
  async xml() {
    const { xml } = await this.modeler.saveXML({ format: true });
    return xml;
  }

  async download() {
    const blob = new Blob([await this.xml()], { type: "application/xml" });
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: this.config.file, class: "govuk-visually-hidden", text: "download" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  async revert() {
    if (this.dirty && !window.confirm(`Discard your changes and go back to version ${this.config.version}?`)) return;
    this.bannerEl.replaceChildren();
    await this.load(this.originalXml);
    this.banner("note", "Your changes were discarded", `This is version ${this.config.version} again.`);
  }

  // -- the deploy pipeline's findings
  async post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": this.csrfToken },
    });
  }

  async check({ focus }) {
    clearTimeout(this.checkTimer);
    const seq = ++this.checkSeq;
    this.lintStatus("busy", "Checking the table…");
    let response;
    try {
      response = await this.post(this.config.checkUrl, { files: { [this.config.file]: await this.xml() } });
    } catch {
      if (seq === this.checkSeq) this.lintStatus("error", "The table could not be checked: the service did not answer.");
      return;
    }
    if (seq !== this.checkSeq) return; // a newer check is on its way
    if (!response.ok) {
      this.lintStatus("error", `The table could not be checked (the server answered ${response.status}).`);
      return;
    }
    const { problems, warnings } = await response.json();
    this.showProblems(problems, { focus, warnings });
  }

  showProblems(problems, { focus, title, warnings = [] }) {
    this.problems = problems;
    this.markRules();
    this.renderSummary(problems, focus, title);
    this.renderWarnings(warnings);
    if (problems.length) {
      this.lintStatus("error", `${plural(problems.length, "problem")} found: they are listed at the top of the page`
        + " and the rules they are in are marked in the table. It cannot be deployed until they are fixed.");
    } else {
      this.lintStatus("ok", "No problems found: the table passes every check a deploy makes"
        + (warnings.length ? `, with ${plural(warnings.length, "warning")} listed below.` : "."));
    }
  }

  problemText(problem) {
    const where = [problem.file !== this.config.file ? problem.file : null,
      problem.element_id ? `decision ${problem.element_name || problem.element_id}` : null,
      problem.rule ? `rule ${problem.rule}` : null,
      problem.line ? `line ${problem.line}` : null].filter(Boolean).join(", ");
    return `${where ? `${where}: ` : ""}${problem.message}`;
  }

  problemItem(problem, linkClass = null) {
    if (problem.field === "note") return h("li", {}, h("a", { href: "#modeler-note", text: problem.message }));
    const text = this.problemText(problem);
    if (problem.file !== this.config.file || !problem.rule) return h("li", {}, text);
    return h("li", {}, h("a", { class: linkClass, href: "#tables-canvas", text, onclick: (event) => {
      event.preventDefault();
      this.showRule(problem);
    } }));
  }

  renderWarnings(warnings) {
    const list = document.getElementById("modeler-warnings");
    list.replaceChildren(...(warnings.length ? [
      h("h3", { class: "govuk-heading-s", text: "Warnings (they do not stop a deploy)" }),
      h("ul", { class: "govuk-list govuk-list--bullet" }, warnings.map((warning) => this.problemItem(warning, "govuk-link"))),
    ] : []));
  }

  renderSummary(problems, focus, title = "There is a problem with the table") {
    if (!problems.length) {
      this.problemsEl.replaceChildren();
      return;
    }
    const summary = h("div", { class: "govuk-error-summary", tabindex: "-1" },
      h("div", { role: "alert" },
        h("h2", { class: "govuk-error-summary__title", text: title }),
        h("div", { class: "govuk-error-summary__body" },
          h("ul", { class: "govuk-list govuk-error-summary__list" }, problems.map((problem) => this.problemItem(problem))))));
    this.problemsEl.replaceChildren(summary);
    if (focus) summary.focus();
  }

  lintStatus(state, message) {
    const [colour, label] = { ok: ["green", "Passes"], error: ["red", "Problems"], busy: ["grey", "Checking"] }[state];
    this.lintEl.replaceChildren(h("strong", { class: `govuk-tag govuk-tag--${colour}`, text: label }), " ", message);
  }

  // -- deploy
  noteError(message) {
    const group = document.getElementById("modeler-note-group");
    const note = document.getElementById("modeler-note");
    group.classList.toggle("govuk-form-group--error", Boolean(message));
    note.classList.toggle("govuk-textarea--error", Boolean(message));
    const old = document.getElementById("modeler-note-error");
    if (old) old.remove();
    note.setAttribute("aria-describedby", "modeler-note-hint");
    if (message) {
      note.before(h("p", { class: "govuk-error-message", id: "modeler-note-error" },
        h("span", { class: "govuk-visually-hidden", text: "Error: " }), message));
      note.setAttribute("aria-describedby", "modeler-note-hint modeler-note-error");
    }
  }

  async deploy() {
    const note = document.getElementById("modeler-note").value.trim();
    this.bannerEl.replaceChildren();
    if (!note) {
      const message = "Say what changed and why before deploying";
      this.noteError(message);
      this.renderSummary([{ field: "note", message }], true, "There is a problem");
      return;
    }
    this.noteError(null);
    const button = document.getElementById("modeler-deploy");
    button.disabled = true;
    try {
      const response = await this.post(this.config.deployUrl, { files: { [this.config.file]: await this.xml() }, note });
      const body = response.headers.get("Content-Type")?.includes("json") ? await response.json() : {};
      if (response.status === 201 || response.status === 200) {
        await this.deployed(body);
      } else if (response.status === 422 && body.errors) {
        const noteProblem = body.errors.find((problem) => problem.field === "note");
        if (noteProblem) this.noteError(noteProblem.message);
        this.showProblems(body.errors, { focus: true, title: "The table was not deployed" });
      } else {
        this.banner("error", "The table was not deployed",
          `The server answered ${response.status}. Nothing was changed; reload the page and try again.`);
      }
    } catch {
      this.banner("error", "The table was not deployed", "The service did not answer. Nothing was changed.");
    } finally {
      button.disabled = false;
    }
  }

  async deployed({ version, created, latest_version: latest, warnings }) {
    this.dirty = false;
    this.config.version = version;
    this.originalXml = await this.xml();
    document.getElementById("modeler-note").value = "";
    document.getElementById("modeler-base").textContent =
      `Editing ${this.config.file} from version ${version}, the version just deployed.`;
    document.getElementById("modeler-revert").textContent = `Revert to version ${version}`;
    document.getElementById("modeler-latest").textContent = String(latest);
    this.problemsEl.replaceChildren();
    const links = [];
    if (this.config.historyUrl) links.push(h("a", { class: "govuk-notification-banner__link", href: this.config.historyUrl, text: "See the version history" }));
    const joined = links.flatMap((link, index) => (index ? [" or ", link] : [link]));
    this.renderWarnings(warnings || []);
    let said;
    if (created) said = "New cases use the new table; running cases carry on on the version they started on. ";
    else if (version === latest) said = "The table is the same as in the latest version, so no new version was made. ";
    else said = `The files are the same as version ${version}, which is stored already, so no new version was made: `
      + `new cases still start on version ${latest}. `;
    this.banner("success", created ? `Version ${version} deployed` : `Nothing new to deploy: this is version ${version}`,
      said, joined.length ? h("span", {}, ...joined, ".") : null);
  }

  banner(type, heading, ...body) {
    const success = type === "success";
    const banner = h("div", { class: `govuk-notification-banner${success ? " govuk-notification-banner--success" : ""}`,
      role: success ? "alert" : "region", "aria-labelledby": "modeler-banner-title", tabindex: "-1" },
    h("div", { class: "govuk-notification-banner__header" },
      h("h2", { class: "govuk-notification-banner__title", id: "modeler-banner-title", text: success ? "Success" : "Important" })),
    h("div", { class: "govuk-notification-banner__content" },
      h("h3", { class: "govuk-notification-banner__heading", text: heading }),
      h("p", { class: "govuk-body" }, ...body)));
    this.bannerEl.replaceChildren(banner);
    banner.focus();
  }
}

const root = document.getElementById("tables");
if (root) {
  document.getElementById("modeler-nojs").remove();
  root.hidden = false;
  const config = JSON.parse(document.getElementById("modeler-config").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  const page = new TablePage(config, csrf);
  page.start().catch((error) => {
    console.error(error);
    page.lintStatus("error", `The table could not be opened: ${error.message}`);
  });
}
