// The in-app modeler (app/modeler): bpmn-js with a properties panel that shows what the app reads from
// a diagram (name, form key, lane = role, timer and deadline kind, gateway conditions, the decision table a
// business rule task runs, documentation), the deploy pipeline's own findings on the canvas, and deploy.
// Every edit is a bpmn-js command, so undo and redo cover the panel as well as the canvas.
import Modeler from "bpmn-js/lib/Modeler";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";

const TIMER_TYPES = [
  ["timeDate", "At a date and time (timeDate)"],
  ["timeDuration", "After a duration (timeDuration)"],
  ["timeCycle", "Repeatedly (timeCycle)"],
];
const DEADLINE_KIND_LABELS = {
  rag: "rag: the contact's RAG timescale",
  statutory: "statutory: a fixed timescale",
  check: "check: an agency check",
};
const CONDITIONAL_GATEWAYS = ["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway", "bpmn:ComplexGateway"];
const CHECK_DELAY_MS = 1200;
const NEW_FORM_KEY = "\u0000new";

// ----------------------------------------------------------------------------- small DOM helpers
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

function formGroup(id, label, control, { hint, error } = {}) {
  const hintId = hint ? `${id}-hint` : null;
  const errorId = error ? `${id}-error` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ");
  if (describedBy) control.setAttribute("aria-describedby", describedBy);
  return h("div", { class: "govuk-form-group" + (error ? " govuk-form-group--error" : "") },
    h("label", { class: "govuk-label govuk-label--s", for: id, text: label }),
    hint ? h("div", { class: "govuk-hint", id: hintId }, hint) : null,
    error ? h("p", { class: "govuk-error-message", id: errorId },
      h("span", { class: "govuk-visually-hidden", text: "Error: " }), error) : null,
    control);
}

function textInput(id, value, onchange, extra = {}) {
  return h("input", { class: "govuk-input", id, name: id, type: "text", value: value ?? "", spellcheck: "false",
    onchange: (event) => onchange(event.target.value), ...extra });
}

function textArea(id, value, onchange, rows = 4) {
  const area = h("textarea", { class: "govuk-textarea", id, name: id, rows: String(rows),
    onchange: (event) => onchange(event.target.value) });
  area.value = value ?? "";
  return area;
}

function select(id, options, selected, onchange) {
  return h("select", { class: "govuk-select", id, name: id, onchange: (event) => onchange(event.target.value) },
    options.map(([value, text]) => h("option", { value, selected: value === selected, text })));
}

function summaryList(rows) {
  return h("dl", { class: "govuk-summary-list govuk-summary-list--no-border mash-modeler__facts" },
    rows.map(([key, value]) => h("div", { class: "govuk-summary-list__row" },
      h("dt", { class: "govuk-summary-list__key", text: key }),
      h("dd", { class: "govuk-summary-list__value" }, value))));
}

function roleOf(laneName) {
  return (laneName || "").trim().toLowerCase().split(/\s+/).filter(Boolean).join("-");
}

// ----------------------------------------------------------------------------- one undo step for several changes
function MultiCommandHandler(commandStack) {
  this._commandStack = commandStack;
}
MultiCommandHandler.$inject = ["commandStack"];
MultiCommandHandler.prototype.preExecute = function (context) {
  for (const { cmd, context: inner } of context.commands) this._commandStack.execute(cmd, inner);
};

function MultiCommandRegistration(commandStack) {
  commandStack.registerHandler("mash.multi", MultiCommandHandler);
}
MultiCommandRegistration.$inject = ["commandStack"];

const multiCommandModule = { __init__: ["mashMultiCommand"], mashMultiCommand: ["type", MultiCommandRegistration] };

// ----------------------------------------------------------------------------- the page
class ModelerPage {
  constructor(config, csrfToken) {
    this.config = config;
    this.csrfToken = csrfToken;
    this.dirty = false;
    this.problems = [];
    this.checkTimer = null;
    this.checkSeq = 0;
    this.renderTimer = null;
    this.originalXml = "";
    this.marked = [];
    this.element = null;

    this.canvasEl = document.getElementById("modeler-canvas");
    this.propertiesEl = document.getElementById("modeler-properties");
    this.chooserEl = document.getElementById("modeler-chooser");
    this.lintEl = document.getElementById("modeler-lint");
    this.problemsEl = document.getElementById("modeler-problems");
    this.bannerEl = document.getElementById("modeler-banner");

    this.modeler = new Modeler({
      container: this.canvasEl,
      moddleExtensions: { camunda: camundaModdle },
      additionalModules: [multiCommandModule],
    });
    this.modeling = this.modeler.get("modeling");
    this.moddle = this.modeler.get("moddle");
    this.registry = this.modeler.get("elementRegistry");
    this.commandStack = this.modeler.get("commandStack");
    this.selection = this.modeler.get("selection");
    this.canvas = this.modeler.get("canvas");
    this.overlays = this.modeler.get("overlays");

    const eventBus = this.modeler.get("eventBus");
    eventBus.on("selection.changed", ({ newSelection }) => {
      const chosen = newSelection.length === 1 ? newSelection[0] : null;
      this.element = chosen && chosen.type === "label" ? chosen.labelTarget : chosen;
      if (this.element) this.chooserEl.value = this.element.id;
      this.renderPanel();
    });
    // "clear" is a diagram being imported, not an edit.
    eventBus.on("commandStack.changed", ({ trigger }) => trigger !== "clear" && this.changed());
  }

  async start() {
    this.wireControls();
    const response = await fetch(this.config.diagramUrl, { credentials: "same-origin" });
    if (!response.ok) {
      this.lintStatus("error", `The diagram could not be loaded (the server answered ${response.status}).`);
      return;
    }
    this.originalXml = await response.text();
    await this.load(this.originalXml);
  }

  async load(xml) {
    const { warnings } = await this.modeler.importXML(xml);
    if (warnings.length) console.warn(`bpmn-js: ${warnings.length} import warnings`, warnings);
    this.canvas.zoom("fit-viewport");
    this.dirty = false;
    this.element = null;
    this.fillChooser();
    this.renderPanel();
    this.updateUndoButtons();
    await this.check({ focus: false });
  }

  // -- controls outside the canvas
  wireControls() {
    const on = (id, handler) => document.getElementById(id).addEventListener("click", handler);
    on("modeler-undo", () => this.commandStack.undo());
    on("modeler-redo", () => this.commandStack.redo());
    on("modeler-check", () => this.check({ focus: true }));
    on("modeler-download", () => this.download());
    on("modeler-revert", () => this.revert());
    on("modeler-show", () => {
      const element = this.registry.get(this.chooserEl.value);
      if (element) this.show(element);
    });
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

  changed() {
    this.dirty = true;
    this.updateUndoButtons();
    // After the browser has moved focus (a change event fires before Tab lands on the next field).
    clearTimeout(this.renderTimer);
    this.renderTimer = setTimeout(() => {
      if (this.element && !this.registry.get(this.element.id)) this.element = null;
      this.fillChooser();
      this.renderPanel();
    }, 0);
    clearTimeout(this.checkTimer);
    this.checkSeq += 1; // an answer to a check of the diagram before this change is out of date
    this.lintStatus("busy", "Changed: the diagram will be checked in a moment.");
    this.checkTimer = setTimeout(() => this.check({ focus: false }), CHECK_DELAY_MS);
  }

  updateUndoButtons() {
    document.getElementById("modeler-undo").disabled = !this.commandStack.canUndo();
    document.getElementById("modeler-redo").disabled = !this.commandStack.canRedo();
  }

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

  // -- choosing an element without the mouse
  kindOf(element) {
    return element.type.replace(/^bpmn:/, "").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  }

  describe(element) {
    const bo = getBusinessObject(element);
    return `${bo.name || bo.id} (${this.kindOf(element)})`;
  }

  fillChooser() {
    const elements = this.registry.filter((element) => element.type !== "label" && element.parent
      && !is(element, "bpmn:Participant") && element.businessObject && element.businessObject.id);
    const order = (element) => (is(element, "bpmn:Lane") ? 0 : is(element, "bpmn:SequenceFlow") ? 2 : 1);
    elements.sort((a, b) => order(a) - order(b) || this.describe(a).localeCompare(this.describe(b)));
    const current = this.chooserEl.value;
    this.chooserEl.replaceChildren(...elements.map((element) =>
      h("option", { value: element.id, selected: element.id === current, text: this.describe(element) })));
  }

  show(element) {
    this.selection.select(element);
    if (this.canvas.zoom() < 0.8) this.canvas.zoom(1);
    this.canvas.scrollToElement(element, { top: 80, right: 60, bottom: 80, left: 180 }); // clear of the palette
    this.canvasEl.scrollIntoView({ block: "nearest" });
    const heading = document.getElementById("modeler-element-heading");
    if (heading) heading.focus();
  }

  // -- the properties panel
  renderPanel() {
    const focused = document.activeElement && this.propertiesEl.contains(document.activeElement)
      ? document.activeElement.id : null;
    this.propertiesEl.replaceChildren(...this.panelFor(this.element).filter(Boolean));
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }

  panelFor(element) {
    if (!element || !element.parent) {
      return [h("p", { class: "govuk-body", text: "Nothing is selected. Click a step on the diagram, or choose it "
        + "from the list above, to see and change what the hub reads from it." })];
    }
    const bo = getBusinessObject(element);
    const parts = [
      h("h3", { class: "govuk-heading-s mash-modeler__element-heading", id: "modeler-element-heading",
        tabindex: "-1", text: bo.name || bo.id }),
      summaryList([["Kind", this.kindOf(element)],
        ["Id", h("code", { text: bo.id })]]),
      this.elementProblems(bo.id),
      formGroup("prop-name", is(element, "bpmn:Lane") ? "Lane name (the role that does its tasks)" : "Name",
        textInput("prop-name", bo.name, (value) => this.modeling.updateLabel(element, value.trim() || null),
          is(element, "bpmn:Lane") ? { list: "modeler-lane-names" } : {})),
    ];
    if (is(element, "bpmn:Lane")) parts.push(this.laneFacts(bo.name));
    if (is(element, "bpmn:UserTask")) parts.push(...this.userTaskFields(element, bo));
    if (is(element, "bpmn:BusinessRuleTask")) parts.push(...this.decisionFields(element, bo));
    const timer = (bo.eventDefinitions || []).find((definition) => is(definition, "bpmn:TimerEventDefinition"));
    if (timer) parts.push(...this.timerFields(element, bo, timer));
    if (is(element, "bpmn:SequenceFlow") && CONDITIONAL_GATEWAYS.some((type) => is(bo.sourceRef, type))) {
      parts.push(...this.flowFields(element, bo));
    }
    const documentation = (bo.documentation || []).map((doc) => doc.text || "").join("\n\n");
    parts.push(formGroup("prop-documentation", "Documentation",
      textArea("prop-documentation", documentation, (value) => this.modeling.updateProperties(element, {
        documentation: value.trim() ? [this.moddle.create("bpmn:Documentation", { text: value.trim() })] : [],
      }), 6), { hint: "What trainers read out and the process map shows for this step." }));
    return parts;
  }

  elementProblems(id) {
    const mine = this.problems.filter((problem) => problem.element_id === id && problem.file === this.config.file);
    if (!mine.length) return null;
    return h("div", { class: "govuk-form-group govuk-form-group--error" },
      mine.map((problem) => h("p", { class: "govuk-error-message" },
        h("span", { class: "govuk-visually-hidden", text: "Error: " }), problem.message)));
  }

  laneFacts(name) {
    const role = roleOf(name);
    const known = Object.values(this.config.lanes).includes(role);
    return summaryList([["Role", known
      ? h("span", {}, h("strong", { class: "govuk-tag govuk-tag--green", text: "Known role" }), " ", h("code", { text: role }))
      : h("span", {}, h("strong", { class: "govuk-tag govuk-tag--red", text: "Not a role" }),
        ` The hub has no role for this lane: its tasks could not be given to anyone. Known lanes: ${Object.keys(this.config.lanes).join(", ")}.`)]]);
  }

  laneOf(bo) {
    const containing = this.registry.filter((element) => is(element, "bpmn:Lane")
      && (element.businessObject.flowNodeRef || []).includes(bo));
    // Nested lanes: the innermost one is the task's lane.
    return containing.find((lane) => !containing.some((other) => other !== lane && other.parent === lane))
      || null;
  }

  // A business rule task runs the decision table its camunda:decisionRef names (one of this version's tables).
  decisionFields(element, bo) {
    const ref = bo.get("camunda:decisionRef") || "";
    // SpiffArena saves the decision as <spiffworkflow:calledDecisionId>; camunda:decisionRef, set here, wins.
    const extensions = bo.get("extensionElements");
    const spiff = extensions ? (extensions.get("values") || [])
      .find((value) => /(^|:)calledDecisionId$/.test(value.$type || "")) : null;
    const spiffRef = spiff ? (spiff.$body || "").trim() : "";
    const decisions = this.config.decisions || [];
    const chosen = decisions.find((decision) => decision.id === (ref || spiffRef));
    const options = [["", "No decision (choose one)"],
      ...decisions.map((decision) => [decision.id, `${decision.name || decision.id} (${decision.file})`])];
    const current = ref || spiffRef;
    if (current && !chosen) options.push([current, `${current} (not a table of this version)`]);
    return [
      formGroup("prop-decision", "Decision table (camunda:decisionRef)", select("prop-decision", options, current,
        (value) => this.modeling.updateProperties(element, { "camunda:decisionRef": value || undefined })),
      { hint: spiffRef && !ref
        ? `Runs "${spiffRef}" as SpiffWorkflow's calledDecisionId says; a table chosen here (camunda:decisionRef) takes its place.`
        : "The table this step runs; its outputs become case data for the steps after it." }),
      chosen ? h("p", { class: "govuk-body" }, h("a", { class: "govuk-link", href: chosen.editUrl,
        text: `Edit the table ${chosen.file}` })) : null,
    ];
  }

  userTaskFields(element, bo) {
    const formKey = bo.get("camunda:formKey") || "";
    const known = this.config.forms.some((form) => form.key === formKey);
    const options = [["", "No form (choose one)"],
      ...this.config.forms.map((form) => [form.key, `${form.key}: ${form.title}`]),
      [NEW_FORM_KEY, "Another form key (type it)"]];
    const setFormKey = (value) => this.modeling.updateProperties(element, { "camunda:formKey": value.trim() || undefined });
    const newKey = formGroup("prop-form-key-new", "New form key", textInput("prop-form-key-new", known ? "" : formKey, setFormKey),
      { hint: "A form that is not in this version yet: upload its <key>.json with the diagram on the upload page." });
    newKey.hidden = known || !formKey;
    const chooser = select("prop-form-key", options, known || !formKey ? formKey : NEW_FORM_KEY, (value) => {
      if (value === NEW_FORM_KEY) {
        newKey.hidden = false;
        document.getElementById("prop-form-key-new").focus();
      } else {
        newKey.hidden = true;
        setFormKey(value);
      }
    });
    const lane = this.laneOf(bo);
    const laneName = lane ? getBusinessObject(lane).name || lane.id : null;
    const role = roleOf(laneName);
    const knownRole = lane && Object.values(this.config.lanes).includes(role);
    const laneValue = lane
      ? h("span", {}, `${laneName} `, knownRole
        ? h("strong", { class: "govuk-tag govuk-tag--green", text: "Known role" })
        : h("strong", { class: "govuk-tag govuk-tag--red", text: "Not a role" }))
      : h("span", {}, h("strong", { class: "govuk-tag govuk-tag--red", text: "No lane" }), " Nobody would be given this task.");
    const parts = [
      formGroup("prop-form-key", "Form (camunda:formKey)", chooser),
      newKey,
      h("div", { class: "govuk-form-group" },
        h("h4", { class: "govuk-heading-s govuk-!-margin-bottom-1", text: "Who does it (the lane)" }),
        h("p", { class: "govuk-body", id: "prop-lane" }, laneValue),
        h("div", { class: "govuk-hint", text: "Drag the task into another lane to change who does it." })),
    ];
    const resultVariable = this.camundaProperty(bo, "resultVariable");
    if (resultVariable !== null) {
      parts.push(formGroup("prop-result-variable", "Result variable (resultVariable)",
        textInput("prop-result-variable", resultVariable, (value) => this.setCamundaProperty(element, "resultVariable", value.trim())),
        { hint: "The case data name the task's answers are stored under, as reports and later steps read them." }));
    }
    return parts;
  }

  timerFields(element, bo, timer) {
    const type = TIMER_TYPES.map(([key]) => key).find((key) => timer.get(key)) || "timeDate";
    const expression = timer.get(type) ? timer.get(type).body || "" : "";
    const setTimer = (newType, body) => {
      const properties = Object.fromEntries(TIMER_TYPES.map(([key]) => [key, undefined]));
      properties[newType] = this.moddle.create("bpmn:FormalExpression", { body });
      this.modeling.updateModdleProperties(element, timer, properties);
    };
    const kind = this.camundaProperty(bo, "deadlineKind") || "";
    const kindOptions = [["", "Not set (rag when the expression uses rag_deadline, otherwise statutory)"],
      ...this.config.deadlineKinds.map((value) => [value, DEADLINE_KIND_LABELS[value] || value])];
    return [
      formGroup("prop-timer-type", "When the timer fires", select("prop-timer-type", TIMER_TYPES, type,
        (value) => setTimer(value, document.getElementById("prop-timer-expression").value.trim()))),
      formGroup("prop-timer-expression", "Timer expression", textInput("prop-timer-expression", expression,
        (value) => setTimer(document.getElementById("prop-timer-type").value, value.trim())),
      { hint: "Worked out over the case data in the sandbox, for example add_working_days(received_at, 1)." }),
      formGroup("prop-deadline-kind", "Deadline kind (deadlineKind)", select("prop-deadline-kind", kindOptions, kind,
        (value) => this.setCamundaProperty(element, "deadlineKind", value)),
      { hint: "How the SLA wall counts this deadline." }),
    ];
  }

  flowFields(element, bo) {
    const gateway = bo.sourceRef;
    const isDefault = gateway.default === bo;
    const gatewayShape = this.registry.get(gateway.id);
    const condition = bo.conditionExpression ? bo.conditionExpression.body || "" : "";
    const toggle = h("input", { class: "govuk-checkboxes__input", id: "prop-default", name: "prop-default",
      type: "checkbox", checked: isDefault, onchange: (event) => {
        const commands = [{ cmd: "element.updateProperties",
          context: { element: gatewayShape, properties: { default: event.target.checked ? bo : undefined } } }];
        if (event.target.checked && bo.conditionExpression) {
          commands.push({ cmd: "element.updateProperties",
            context: { element, properties: { conditionExpression: undefined } } });
        }
        this.commandStack.execute("mash.multi", { commands });
      } });
    const conditionField = textArea("prop-condition", condition, (value) => this.modeling.updateProperties(element, {
      conditionExpression: value.trim() ? this.moddle.create("bpmn:FormalExpression", { body: value.trim() }) : undefined,
    }), 2);
    conditionField.disabled = isDefault;
    return [
      h("div", { class: "govuk-form-group" },
        h("div", { class: "govuk-checkboxes govuk-checkboxes--small" },
          h("div", { class: "govuk-checkboxes__item" }, toggle,
            h("label", { class: "govuk-label govuk-checkboxes__label", for: "prop-default",
              text: `Default flow of "${gateway.name || gateway.id}" (taken when no condition holds)` })))),
      formGroup("prop-condition", "Condition", conditionField, {
        hint: isDefault ? "The default flow has no condition." : "A Python expression over the case data, for example rag == \"red\".",
      }),
    ];
  }

  // -- camunda:properties (deadlineKind, resultVariable), changed as one undo step
  camundaProperties(bo) {
    const extensions = bo.get("extensionElements");
    return extensions ? (extensions.get("values") || []).find((value) => is(value, "camunda:Properties")) : null;
  }

  camundaProperty(bo, name) {
    const properties = this.camundaProperties(bo);
    const found = properties ? (properties.get("values") || []).find((p) => p.name === name) : null;
    return found ? found.value ?? "" : null;
  }

  setCamundaProperty(element, name, value) {
    const bo = getBusinessObject(element);
    const commands = [];
    const update = (moddleElement, properties) =>
      commands.push({ cmd: "element.updateModdleProperties", context: { element, moddleElement, properties } });
    let extensions = bo.get("extensionElements");
    let properties = this.camundaProperties(bo);
    const existing = properties ? properties.get("values").find((p) => p.name === name) : null;
    if (!value) {
      if (existing) update(properties, { values: properties.get("values").filter((p) => p !== existing) });
    } else if (existing) {
      update(existing, { value });
    } else {
      if (!extensions) {
        extensions = this.moddle.create("bpmn:ExtensionElements", { values: [] });
        extensions.$parent = bo;
        update(bo, { extensionElements: extensions });
      }
      if (!properties) {
        properties = this.moddle.create("camunda:Properties", { values: [] });
        properties.$parent = extensions;
        update(extensions, { values: [...extensions.get("values"), properties] });
      }
      const property = this.moddle.create("camunda:Property", { name, value });
      property.$parent = properties;
      update(properties, { values: [...properties.get("values"), property] });
    }
    if (commands.length) this.commandStack.execute("mash.multi", { commands });
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
    this.lintStatus("busy", "Checking the diagram…");
    let response;
    try {
      response = await this.post(this.config.checkUrl, { files: { [this.config.file]: await this.xml() } });
    } catch {
      if (seq === this.checkSeq) this.lintStatus("error", "The diagram could not be checked: the service did not answer.");
      return;
    }
    if (seq !== this.checkSeq) return; // a newer check is on its way
    if (!response.ok) {
      this.lintStatus("error", `The diagram could not be checked (the server answered ${response.status}).`);
      return;
    }
    const { problems, warnings } = await response.json();
    this.showProblems(problems, { focus, warnings });
  }

  showProblems(problems, { focus, title, warnings = [] }) {
    this.problems = problems;
    for (const id of this.marked) this.canvas.removeMarker(id, "mash-modeler-problem");
    this.marked = [];
    this.overlays.remove({ type: "mash-lint" });
    const here = problems.filter((problem) => problem.file === this.config.file && problem.element_id
      && this.registry.get(problem.element_id));
    for (const id of new Set(here.map((problem) => problem.element_id))) {
      this.canvas.addMarker(id, "mash-modeler-problem");
      this.marked.push(id);
      const count = here.filter((problem) => problem.element_id === id).length;
      this.overlays.add(id, "mash-lint", { position: { top: -12, left: -12 },
        html: `<span class="mash-modeler__badge" title="${count} problem${count === 1 ? "" : "s"}">!</span>` });
    }
    this.renderSummary(problems, focus, title);
    this.renderWarnings(warnings);
    if (problems.length) {
      this.lintStatus("error", `${problems.length} problem${problems.length === 1 ? "" : "s"} found: `
        + "they are listed at the top of the page and marked ! on the diagram. It cannot be deployed until they are fixed.");
    } else {
      this.lintStatus("ok", "No problems found: the diagram passes every check a deploy makes"
        + (warnings.length ? `, with ${warnings.length} warning${warnings.length === 1 ? "" : "s"} listed below.` : "."));
    }
    this.renderPanel();
  }

  problemText(problem) {
    const element = problem.file === this.config.file && problem.element_id ? this.registry.get(problem.element_id) : null;
    let what = problem.element_name || problem.element_id;
    if (element && is(element, "bpmn:SequenceFlow")) {
      const source = getBusinessObject(element).sourceRef;
      what = `Flow "${what}" from "${source.name || source.id}"`;
    }
    const where = [problem.file !== this.config.file ? problem.file : null,
      problem.rule ? `rule ${problem.rule}` : null, // a decision table's rule (its row)
      problem.line ? `line ${problem.line}` : null].filter(Boolean).join(", ");
    return `${what ? `${what}: ` : ""}${problem.message}${where ? ` (${where})` : ""}`;
  }

  problemItem(problem, linkClass = null) {
    if (problem.field === "note") return h("li", {}, h("a", { href: "#modeler-note", text: problem.message }));
    const element = problem.file === this.config.file && problem.element_id ? this.registry.get(problem.element_id) : null;
    const text = this.problemText(problem);
    if (!element) return h("li", {}, text);
    return h("li", {}, h("a", { class: linkClass, href: "#modeler-canvas", text, onclick: (event) => {
      event.preventDefault();
      this.show(element);
    } }));
  }

  renderWarnings(warnings) {
    const list = document.getElementById("modeler-warnings");
    list.replaceChildren(...(warnings.length ? [
      h("h3", { class: "govuk-heading-s", text: "Warnings (they do not stop a deploy)" }),
      h("ul", { class: "govuk-list govuk-list--bullet" }, warnings.map((warning) => this.problemItem(warning, "govuk-link"))),
    ] : []));
  }

  renderSummary(problems, focus, title = "There is a problem with the diagram") {
    if (!problems.length) {
      this.problemsEl.replaceChildren();
      return;
    }
    const items = problems.map((problem) => this.problemItem(problem));
    const summary = h("div", { class: "govuk-error-summary", tabindex: "-1" },
      h("div", { role: "alert" },
        h("h2", { class: "govuk-error-summary__title", text: title }),
        h("div", { class: "govuk-error-summary__body" },
          h("ul", { class: "govuk-list govuk-error-summary__list" }, items))));
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
        this.showProblems(body.errors, { focus: true, title: "The diagram was not deployed" });
      } else {
        this.banner("error", "The diagram was not deployed",
          `The server answered ${response.status}. Nothing was changed; reload the page and try again.`);
      }
    } catch {
      this.banner("error", "The diagram was not deployed", "The service did not answer. Nothing was changed.");
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
    if (this.config.mapUrl) links.push(h("a", { class: "govuk-notification-banner__link", href: this.config.mapUrl, text: "Open the process map" }));
    const joined = links.flatMap((link, index) => (index ? [" or ", link] : [link]));
    this.renderWarnings(warnings || []);
    let said;
    if (created) said = "New cases start on it; running cases carry on on the version they started on. ";
    else if (version === latest) said = "The diagram is the same as the latest version, so no new version was made. ";
    else said = `The diagram is the same as version ${version}, which is stored already, so no new version was made: `
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

// ----------------------------------------------------------------------------- start
const root = document.getElementById("modeler");
if (root) {
  document.getElementById("modeler-nojs").remove();
  root.hidden = false;
  const config = JSON.parse(document.getElementById("modeler-config").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  const page = new ModelerPage(config, csrf);
  page.start().catch((error) => {
    console.error(error);
    page.lintStatus("error", `The diagram could not be opened: ${error.message}`);
  });
}
