// Token simulation (app/training, /training/simulation/<process_id>): a class follows the flow of a
// deployed diagram with no case at all, using bpmn-js-token-simulation in a navigated viewer.
//
// The page works without this script (a message and a link to the process map). This script draws the
// diagram and adds, beside the simulation's own on-canvas controls, keyboard-usable ones: switch the
// simulation on and off, send a contact in at the start event, choose the route at every decision, and
// a running list of the steps the token reached with each step's documentation, read to screen readers.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import TokenSimulationModule from "bpmn-js-token-simulation/lib/viewer";
import MinimapModule from "diagram-js-minimap";
import { openProcessDiagram } from "./lib/diagrams.js";

const TOGGLE_MODE = "tokenSimulation.toggleMode";
const RESET = "tokenSimulation.resetSimulation";
const TRACE = "tokenSimulation.simulator.trace";
const ELEMENT_CHANGED = "tokenSimulation.simulator.elementChanged";
const LOG_LIMIT = 30;

const canvasBox = document.getElementById("simulation-canvas");
if (canvasBox) {
  start(canvasBox).catch((error) => {
    document.getElementById("simulation-failed").hidden = false;
    document.getElementById("simulation-ui").hidden = true;
    console.warn("token simulation:", error.message);
  });
}

async function start(box) {
  document.getElementById("simulation-nojs").hidden = true;
  document.getElementById("simulation-ui").hidden = false;
  const viewer = new NavigatedViewer({ container: box, additionalModules: [TokenSimulationModule, MinimapModule],
    minimap: { open: true } });
  const response = await fetch(box.dataset.diagramUrl, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`the diagram answered ${response.status}`);
  await viewer.importXML(await response.text());
  await openProcessDiagram(viewer, box.dataset.processId);
  openAtTheStart(viewer);
  const svg = box.querySelector("svg");
  if (svg) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", box.getAttribute("aria-label"));
  }
  labelControls(box);
  const simulation = new Simulation(viewer);
  simulation.bindControls();
  simulation.buildRoutes(document.getElementById("simulation-routes"));
  box.dataset.ready = "true";
}

// Fitted whole, the referral diagram is too small to read and the simulation hides its buttons on the
// diagram below half size: open as drawn, on the process's first start event, the flow after it in view
// (drag the diagram or the mini-map to move along it).
function openAtTheStart(viewer) {
  const canvas = viewer.get("canvas");
  canvas.zoom("fit-viewport", "auto");
  const starts = viewer.get("elementRegistry").filter((e) => typeOf(e) === "bpmn:StartEvent"
    && e.businessObject.$parent && e.businessObject.$parent.$type === "bpmn:Process");
  if (!starts.length) return;
  const start = starts.reduce((a, b) => (b.x < a.x ? b : a));
  const outer = canvas.viewbox().outer;
  canvas.viewbox({ x: start.x - 60, y: start.y + start.height / 2 - outer.height / 2, width: outer.width,
    height: outer.height });
  const minimap = canvasBox.querySelector(".djs-minimap");
  if (minimap) minimap.setAttribute("aria-hidden", "true");  // a picture of the canvas, for the eye
}

// bpmn-js-token-simulation draws its controls as icons with only a title (play/pause, reset, the log, the
// speeds) and its on/off switch as a div a keyboard cannot reach. Each gets a visible word, and the switch is
// made a button. The library redraws a control's inside when its state changes (play becomes pause), so the
// words are put back whenever the controls change.
// The buttons drawn on the diagram's own elements: a word each too. "Pause here" appears on a task when the
// pointer or keyboard focus is on it (the library's own rule), so the diagram is not buried in buttons.
const PAD_WORDS = {
  "Trigger Event": "Run",
  "Set Sequence Flow": "Switch route",
  "Add pause point": "Pause here",
  "Remove pause point": "Don't pause",
};
const PALETTE_WORDS = {
  "Reset Simulation": () => "Reset",
  "Toggle Simulation Log": () => "Log",
  "Play/Pause Simulation": (button) => (button.classList.contains("active") ? "Pause" : "Play"),
};

function labelControls(box) {
  const label = () => {
    for (const button of box.querySelectorAll(".bts-palette .bts-entry[title]")) {
      const words = PALETTE_WORDS[button.getAttribute("title")];
      if (words) setWords(button, words(button));
    }
    for (const button of box.querySelectorAll(".bts-context-pad[title]")) {
      const words = PAD_WORDS[button.getAttribute("title")];
      if (words) setWords(button, words);
    }
    for (const button of box.querySelectorAll(".bts-animation-speed-button[title]")) {
      setWords(button, `Speed: ${button.getAttribute("title").split("=").pop().trim()}`);
      const pressed = button.classList.contains("active") ? "true" : "false";
      if (button.getAttribute("aria-pressed") !== pressed) button.setAttribute("aria-pressed", pressed);
    }
    const toggle = box.querySelector(".bts-toggle-mode");
    if (toggle && toggle.getAttribute("role") !== "button") {
      toggle.setAttribute("role", "button");
      toggle.setAttribute("tabindex", "0");
      toggle.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          toggle.click();
        }
      });
    }
    if (toggle) {
      const on = box.classList.contains("simulation") || !!box.querySelector(".bjs-container.simulation");
      if (toggle.getAttribute("aria-pressed") !== String(on)) toggle.setAttribute("aria-pressed", String(on));
    }
  };
  label();
  new MutationObserver(label).observe(box, { childList: true, subtree: true, attributes: true,
    attributeFilter: ["class"] });
}

// The control's icon is hidden from screen readers (the word says it); changed only when it differs, so the
// observer that calls this settles.
function setWords(button, words) {
  let span = button.querySelector(":scope > .mash-sim-label");
  if (span && span.textContent === words) return;
  for (const icon of button.querySelectorAll(":scope > :not(.mash-sim-label)")) {
    if (icon.getAttribute("aria-hidden") !== "true") icon.setAttribute("aria-hidden", "true");
  }
  if (!span) {
    span = document.createElement("span");
    span.className = "mash-sim-label";
    button.append(span);
  }
  span.textContent = words;
}

function nameOf(element) {
  const bo = element.businessObject || {};
  return (bo.name || "").trim() || bo.id || element.id;
}

function typeOf(element) {
  return (element.businessObject && element.businessObject.$type) || element.type;
}

function documentationOf(element) {
  const docs = (element.businessObject && element.businessObject.documentation) || [];
  return docs.map((d) => d.text || "").join("\n").trim();
}

class Simulation {
  constructor(viewer) {
    this.viewer = viewer;
    this.eventBus = viewer.get("eventBus");
    this.registry = viewer.get("elementRegistry");
    this.simulator = viewer.get("simulator");
    this.toggleMode = viewer.get("toggleMode");
    this.gatewaySettings = viewer.get("exclusiveGatewaySettings");
    this.active = false;
    this.lanes = this.registry.filter((e) => typeOf(e) === "bpmn:Lane");
    this.log = document.getElementById("simulation-log");
    this.current = document.getElementById("simulation-current");
    this.selects = new Map();
    // gateway id -> flow id the class chose (or the diagram's default), re-applied whenever the simulation
    // starts, since switching it on resets every decision to its first flow.
    this.chosen = new Map();
    this.applying = false;

    this.eventBus.on(TOGGLE_MODE, 10000, () => { this.applying = true; });
    this.eventBus.on(TOGGLE_MODE, (event) => {
      this.showMode(event.active);
      this.applying = false;
    });
    this.eventBus.on(RESET, () => this.clearLog());
    // Start events are left (signalled), never entered.
    this.eventBus.on(TRACE, (event) => {
      const isStart = typeOf(event.element) === "bpmn:StartEvent";
      if (event.action === (isStart ? "exit" : "enter")) this.reached(event.element);
    });
    // A route chosen by clicking a decision on the canvas becomes the choice in its list too.
    this.eventBus.on(ELEMENT_CHANGED, (event) => {
      const select = event.element && this.selects.get(event.element.id);
      const flowId = select && !this.applying && this.activeFlowId(event.element);
      if (flowId) {
        this.chosen.set(event.element.id, flowId);
        select.value = flowId;
      }
    });
  }

  bindControls() {
    this.toggleButton = document.getElementById("simulation-toggle");
    this.sendButton = document.getElementById("simulation-send");
    this.resetButton = document.getElementById("simulation-reset");
    this.toggleButton.addEventListener("click", () => this.toggleMode.toggleMode(!this.active));
    this.sendButton.addEventListener("click", () => this.sendContact());
    this.resetButton.addEventListener("click", () => this.eventBus.fire(RESET));
    this.showMode(false);
  }

  showMode(active) {
    this.active = active;
    this.toggleButton.setAttribute("aria-pressed", active ? "true" : "false");
    this.toggleButton.textContent = active ? "Stop the simulation" : "Start the simulation";
    this.resetButton.disabled = !active;
    document.getElementById("simulation-state").textContent = active
      ? "The simulation is on: send a contact in, or press Run on a start event or timer on the diagram."
      : "The simulation is off.";
    if (active) this.syncRoutes();
    else this.clearLog();
  }

  startEvents() {
    return this.registry.filter((e) => typeOf(e) === "bpmn:StartEvent" && e.parent
      && ["bpmn:Process", "bpmn:Participant"].includes(typeOf(e.parent)));
  }

  sendContact() {
    if (!this.active) this.toggleMode.toggleMode(true);
    const start = this.startEvents()[0];
    if (!start) return;
    const subscription = this.simulator.findSubscriptions({ element: start })[0];
    if (subscription) this.simulator.trigger({ event: subscription.event, scope: subscription.scope });
  }

  // Every exclusive gateway with a choice gets a list of its outgoing flows, named as on the diagram.
  buildRoutes(container) {
    const gateways = this.registry.filter((e) => typeOf(e) === "bpmn:ExclusiveGateway"
      && e.outgoing.filter((f) => typeOf(f) === "bpmn:SequenceFlow").length > 1);
    if (!gateways.length) {
      container.hidden = true;
      return;
    }
    const list = container.querySelector("[data-routes]");
    for (const gateway of gateways) {
      const group = document.createElement("div");
      group.className = "govuk-form-group training-simulation__route";
      const id = `route-${gateway.id}`;
      const label = document.createElement("label");
      label.className = "govuk-label govuk-label--s";
      label.htmlFor = id;
      label.textContent = nameOf(gateway);
      const select = document.createElement("select");
      select.className = "govuk-select";
      select.id = id;
      for (const flow of gateway.outgoing.filter((f) => typeOf(f) === "bpmn:SequenceFlow")) {
        const option = document.createElement("option");
        option.value = flow.id;
        const target = flow.target ? nameOf(flow.target) : "";
        option.textContent = flow.businessObject.name ? `${flow.businessObject.name} → ${target}` : `→ ${target}`;
        select.append(option);
      }
      // Until someone chooses, a decision takes the diagram's default flow (the simulation alone would take the first).
      const fallback = gateway.businessObject.default;
      this.chosen.set(gateway.id, fallback ? fallback.id : select.value);
      select.value = this.chosen.get(gateway.id);
      select.addEventListener("change", () => {
        this.chosen.set(gateway.id, select.value);
        if (!this.active) this.toggleMode.toggleMode(true);
        else this.chooseRoute(gateway, select.value);
      });
      this.selects.set(gateway.id, select);
      group.append(label, select);
      list.append(group);
    }
  }

  activeFlowId(gateway) {
    const flow = this.simulator.getConfig(gateway).activeOutgoing;
    return flow && flow.id;
  }

  // The simulation's own setting cycles through a gateway's flows (and colours them): cycle to the one chosen.
  chooseRoute(gateway, flowId) {
    const applying = this.applying;
    this.applying = true;
    for (let i = 0; i < gateway.outgoing.length && this.activeFlowId(gateway) !== flowId; i += 1) {
      this.gatewaySettings.setSequenceFlow(gateway);
    }
    this.applying = applying;
  }

  syncRoutes() {
    for (const [id, flowId] of this.chosen) {
      this.chooseRoute(this.registry.get(id), flowId);
      this.selects.get(id).value = flowId;
    }
  }

  // Lane = role: who does the step the token reached.
  laneName(element) {
    const lane = this.lanes.find((l) => (l.businessObject.flowNodeRef || []).includes(element.businessObject));
    return lane ? lane.businessObject.name : "";
  }

  reached(element) {
    const type = typeOf(element);
    if (!/Task$|Event$|CallActivity$|Gateway$/.test(type) || !element.businessObject.name) return;
    const lane = this.laneName(element);
    const item = document.createElement("li");
    item.textContent = lane ? `${nameOf(element)} (${lane})` : nameOf(element);
    this.log.prepend(item);
    while (this.log.children.length > LOG_LIMIT) this.log.lastElementChild.remove();
    if (/Task$|CallActivity$/.test(type)) {
      this.current.querySelector("[data-step-name]").textContent = item.textContent;
      this.current.querySelector("[data-step-documentation]").textContent = documentationOf(element);
      this.current.hidden = false;
    }
  }

  clearLog() {
    this.log.replaceChildren();
    this.current.hidden = true;
  }
}
