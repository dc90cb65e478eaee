// The in-app modeler (app/modeler): bpmn-js with a properties panel that shows what the app reads from
// a diagram (name, form key, lane = role, timer and deadline kind, gateway conditions, the decision table a
// business rule task runs, documentation), the deploy pipeline's own findings on the canvas, and deploy.
// Every edit is a bpmn-js command, so undo and redo cover the panel as well as the canvas.
import Modeler from "bpmn-js/lib/Modeler";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";
import { EditorPage, h, plural, startEditor } from "./lib/editor_page.js";

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
const NEW_FORM_KEY = "\u0000new";

// ----------------------------------------------------------------------------- small DOM helpers
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
class ModelerPage extends EditorPage {
  constructor(config, csrfToken) {
    super(config, csrfToken, { noun: "diagram", markedHow: "marked ! on the diagram" });
    this.renderTimer = null;
    this.marked = [];
    this.element = null;

    this.canvasEl = document.getElementById("modeler-canvas");
    this.propertiesEl = document.getElementById("modeler-properties");
    this.chooserEl = document.getElementById("modeler-chooser");

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

  start() {
    return super.start(this.config.diagramUrl);
  }

  undoStack() {
    return this.commandStack;
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
    super.wireControls();
    document.getElementById("modeler-show").addEventListener("click", () => {
      const element = this.registry.get(this.chooserEl.value);
      if (element) this.show(element);
    });
  }

  changed() {
    super.changed();
    // After the browser has moved focus (a change event fires before Tab lands on the next field).
    clearTimeout(this.renderTimer);
    this.renderTimer = setTimeout(() => {
      if (this.element && !this.registry.get(this.element.id)) this.element = null;
      this.fillChooser();
      this.renderPanel();
    }, 0);
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
  markProblems(problems) {
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
        html: `<span class="mash-modeler__badge" title="${plural(count, "problem")}">!</span>` });
    }
  }

  showProblems(problems, options) {
    super.showProblems(problems, options);
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

  // -- deploy
  deployedLinks() {
    const links = super.deployedLinks();
    if (this.config.mapUrl) links.push(h("a", { class: "govuk-notification-banner__link", href: this.config.mapUrl, text: "Open the process map" }));
    return links;
  }

  deployedSaid(created, version, latest) {
    if (created) return "New cases start on it; running cases carry on on the version they started on. ";
    if (version === latest) return "The diagram is the same as the latest version, so no new version was made. ";
    return `The diagram is the same as version ${version}, which is stored already, so no new version was made: `
      + `new cases still start on version ${latest}. `;
  }
}

// ----------------------------------------------------------------------------- start
startEditor("modeler", (config, csrf) => new ModelerPage(config, csrf));
