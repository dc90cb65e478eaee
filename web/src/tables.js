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
import { EditorPage, h, startEditor } from "./lib/editor_page.js";

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

class TablePage extends EditorPage {
  constructor(config, csrfToken) {
    super(config, csrfToken, { noun: "table", markedHow: "the rules they are in are marked in the table" });
    this.watched = new WeakSet();
    this.canvasEl = document.getElementById("tables-canvas");
    this.chooserEl = document.getElementById("tables-chooser");

    this.modeler = new TableModeler({ container: this.canvasEl, common: PYTHON });
    this.modeler.on("views.changed", () => this.viewOpened());
    // dmn-js redraws the table on every change: the cells get their labels again each time.
    new MutationObserver(() => this.labelCells()).observe(this.canvasEl, { childList: true, subtree: true });
  }

  start() {
    return super.start(this.config.tableUrl);
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
    super.wireControls();
    document.getElementById("tables-show").addEventListener("click",
      () => this.openTable(this.tables().find((view) => view.element.id === this.chooserEl.value)));
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

  undoStack() {
    const viewer = this.modeler.getActiveViewer();
    return viewer ? viewer.get("commandStack") : null;
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

  // -- the deploy pipeline's findings
  markProblems() {
    this.markRules();
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

  deployedSaid(created, version, latest) {
    if (created) return "New cases use the new table; running cases carry on on the version they started on. ";
    if (version === latest) return "The table is the same as in the latest version, so no new version was made. ";
    return `The files are the same as version ${version}, which is stored already, so no new version was made: `
      + `new cases still start on version ${latest}. `;
  }
}

startEditor("tables", (config, csrf) => new TablePage(config, csrf));
