// Process maps and case maps (app/maps): draws the diagram with bpmn-js's navigated viewer.
//
// The page embeds what to draw as JSON (#maps-data) and works without this script: every step, the
// trail and the replay are links and tables. This script adds the diagram, the side panel on clicking
// a step, and on a case map the states, arrows taken, run counts and deadline badges, with a replay
// that moves through the server's precomputed frames without reloading.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import MinimapModule from "diagram-js-minimap";
import { openProcessDiagram } from "./lib/diagrams.js";

// Below this scale a step's name cannot be read; a map opens at READABLE (1: as drawn) on what it is about.
const READABLE = 1;
const SMALLEST_READABLE = 0.7;
const MARGIN = 40;

// A deadline's state in words (the colour only repeats them), as the server's deadline_state tags say it.
const STATE_TAGS = {
  "on-track": ["On track", "govuk-tag--green"],
  "at-risk": ["At risk", "govuk-tag--orange"],
  breached: ["Breached", "govuk-tag--red"],
  met: ["Met", "govuk-tag--grey"],
};

const dataNode = document.getElementById("maps-data");
const wrapper = document.getElementById("maps-viewer");

if (dataNode && wrapper) {
  start(JSON.parse(dataNode.textContent));
}

async function start(data) {
  if (data.mode === "case") data.frames = expandFrames(data);
  wrapper.hidden = false;
  const viewer = new NavigatedViewer({ container: "#maps-canvas", additionalModules: [MinimapModule],
    minimap: { open: true } });
  try {
    const response = await fetch(data.diagram_url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`the diagram answered ${response.status}`);
    await viewer.importXML(await response.text());
    await openProcessDiagram(viewer, data.process_id);
  } catch (error) {
    wrapper.hidden = true;
    document.getElementById("maps-viewer-failed").hidden = false;
    console.warn("process map:", error.message);
    return;
  }
  const canvas = viewer.get("canvas");
  canvas.zoom("fit-viewport", "auto");
  if (data.mode === "case") zoomToTrail(viewer, data.frames[data.at]);
  else focusOn(viewer, data.focus || {});
  describeCanvas();
  bindControls(canvas);
  bindMinimap(viewer);
  const panel = new Panel(viewer);
  addCallLinks(viewer, data);
  if (data.mode === "case") {
    new CaseReplay(viewer, data, panel);
    document.getElementById("maps-legend").hidden = false;
  } else {
    processMap(viewer, data, panel);
  }
  wrapper.dataset.ready = "true";
}

// The server sends each frame as what changed since the one before, and each deadline's fixed facts
// once; replay wants each frame whole.
function expandFrames(data) {
  let elements = {};
  let flows = [];
  return data.frames.map((change) => {
    elements = { ...elements, ...change.elements };
    flows = flows.concat(change.flows);
    const deadlines = change.deadlines.map(([id, elementId, state]) => {
      const timer = data.steps[elementId];
      return { ...data.deadlines[id], element_id: elementId, state, words: (STATE_TAGS[state] || [state])[0],
        attached_element_id: timer ? timer.attached_to : null };
    });
    return { elements, flows, deadlines };
  });
}

// A large diagram fitted whole is too small to read: a case map opens on the part the case has been through.
function zoomToTrail(viewer, frame) {
  const registry = viewer.get("elementRegistry");
  const canvas = viewer.get("canvas");
  const shapes = Object.keys(frame.elements).map((id) => registry.get(id)).filter((e) => e && !e.waypoints);
  if (!shapes.length) return;
  const left = Math.min(...shapes.map((e) => e.x)) - 60;
  const top = Math.min(...shapes.map((e) => e.y)) - 60;
  const right = Math.max(...shapes.map((e) => e.x + e.width)) + 60;
  const bottom = Math.max(...shapes.map((e) => e.y + e.height)) + 60;
  const box = canvas.viewbox();
  const scale = Math.min(1, box.outer.width / (right - left), box.outer.height / (bottom - top));
  if (scale <= box.scale) return;
  canvas.viewbox({ x: left, y: top, width: box.outer.width / scale, height: box.outer.height / scale });
}

// A process map opens on what it was asked about (?step=, ?lane=; else the start event) at a scale a name
// can be read at, instead of the whole diagram fitted too small to read. The mini-map shows where that is.
function focusOn(viewer, focus) {
  const registry = viewer.get("elementRegistry");
  const ids = focus.step ? [focus.step] : focus.lane ? focus.steps || [] : focus.start || [];
  const shapes = ids.map((id) => registry.get(id)).filter((e) => e && !e.waypoints);
  if (!shapes.length) return;
  const canvas = viewer.get("canvas");
  const left = Math.min(...shapes.map((e) => e.x)) - MARGIN;
  const top = Math.min(...shapes.map((e) => e.y)) - MARGIN;
  const right = Math.max(...shapes.map((e) => e.x + e.width)) + MARGIN;
  const bottom = Math.max(...shapes.map((e) => e.y + e.height)) + MARGIN;
  const outer = canvas.viewbox().outer;
  // As drawn if it fits; smaller, down to the smallest readable scale, for a lane that would not.
  const scale = Math.max(SMALLEST_READABLE, Math.min(READABLE, outer.width / (right - left), outer.height / (bottom - top)));
  const width = outer.width / scale;
  const height = outer.height / scale;
  // Centred when it fits; a lane wider than the screen starts at its left, where its flow begins. The start
  // event sits a little in from the left, with the flow after it in view.
  const x = focus.step || right - left <= width ? (left + right - width) / 2 : left;
  const startX = focus.step || focus.lane ? x : left - MARGIN;
  canvas.viewbox({ x: startX, y: (top + bottom - height) / 2, width, height });
  if (focus.step) {
    canvas.addMarker(focus.step, "maps-el--focus");
  }
  wrapper.dataset.focus = focus.step || focus.lane || "start";
}

// The mini-map's own toggle is a mouse-only div: a real button beside the zoom buttons replaces it.
function bindMinimap(viewer) {
  const minimap = viewer.get("minimap");
  const button = document.querySelector("[data-maps-minimap]");
  const container = document.querySelector("#maps-canvas .djs-minimap");
  if (container) container.setAttribute("aria-hidden", "true");  // a picture of the canvas, for the eye
  if (!button) return;
  const label = () => {
    const open = minimap.isOpen();
    button.textContent = open ? "Hide the mini-map" : "Show the mini-map";
    button.setAttribute("aria-pressed", open ? "true" : "false");
  };
  button.hidden = false;
  button.addEventListener("click", () => {
    minimap.toggle();
    label();
  });
  label();
}

function describeCanvas() {
  const box = document.getElementById("maps-canvas");
  const svg = box.querySelector("svg");
  if (!svg) return;
  svg.setAttribute("aria-label", box.getAttribute("aria-label"));
  svg.setAttribute("aria-describedby", "maps-canvas-help");
}

function bindControls(canvas) {
  const zoom = (how) => {
    if (how === "fit") canvas.zoom("fit-viewport", "auto");
    else canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8));
  };
  for (const button of document.querySelectorAll("[data-maps-zoom]")) {
    button.addEventListener("click", () => zoom(button.dataset.mapsZoom));
  }
  // Arrow keys move the canvas (diagram-js, once the drawing has focus); these add zoom.
  document.getElementById("maps-canvas").addEventListener("keydown", (event) => {
    const how = { "+": "in", "=": "in", "-": "out", "0": "fit" }[event.key];
    if (how && !event.ctrlKey && !event.metaKey && !event.altKey) {
      zoom(how);
      event.preventDefault();
    }
  });
}

function elementIdOf(element) {
  return (element.labelTarget || element).id;
}

function plainClick(event) {
  return event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey && !event.altKey;
}

function make(tag, { text, className, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

// The side panel: one selected element at a time, marked on the canvas.
class Panel {
  constructor(viewer) {
    this.canvas = viewer.get("canvas");
    this.registry = viewer.get("elementRegistry");
    this.body = document.getElementById("maps-panel-body");
    this.selected = null;
  }

  select(id, { scroll = false } = {}) {
    if (this.selected && this.registry.get(this.selected)) this.canvas.removeMarker(this.selected, "maps-el--selected");
    this.selected = null;
    const element = this.registry.get(id);
    if (!element) return;
    this.canvas.addMarker(id, "maps-el--selected");
    this.selected = id;
    if (scroll) this.canvas.scrollToElement(element);
  }

  show(nodes, { focus = false } = {}) {
    this.body.replaceChildren(...nodes);
    if (focus) {
      const heading = this.body.querySelector("h2");
      if (heading) heading.focus();
    }
  }
}

// ------------------------------------------------------------------------------------- process map
function processMap(viewer, data, panel) {
  const byUrl = new Map(Object.entries(data.steps).map(([id, step]) => [step.url, id]));

  async function open(id, options = {}) {
    const step = data.steps[id];
    if (!step) return;
    panel.select(id, options);
    panel.show([make("p", { className: "govuk-body", text: `Loading ${step.name}…` })]);
    try {
      const response = await fetch(step.panel_url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      // Server-rendered from the app's own templates (escaped there), like a page of the app.
      panel.body.innerHTML = await response.text();
    } catch (error) {
      panel.show([make("p", { className: "govuk-body" }, [
        "This step could not be loaded. ", make("a", { className: "govuk-link", text: "Open its page", attrs: { href: step.url } })])]);
      return;
    }
    if (options.focus) {
      const heading = document.getElementById("maps-panel-heading");
      if (heading) heading.focus();
    }
    wrapper.dataset.selected = id;
  }

  viewer.get("eventBus").on("element.click", (event) => open(elementIdOf(event.element)));
  for (const link of document.querySelectorAll("a[data-step-id]")) {
    link.addEventListener("click", (event) => {
      if (!plainClick(event)) return;
      event.preventDefault();
      wrapper.scrollIntoView({ block: "start" });
      open(link.dataset.stepId, { scroll: true, focus: true });
    });
  }
  // Links in the panel to other steps of this map open in the panel too.
  panel.body.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    const id = link && byUrl.get(link.getAttribute("href"));
    if (!id || !plainClick(event)) return;
    event.preventDefault();
    open(id, { scroll: true, focus: true });
  });
  const fromHash = decodeURIComponent(window.location.hash.replace(/^#maps-step-/, ""));
  if (data.steps[fromHash]) open(fromHash, { scroll: !(data.focus && data.focus.step === fromHash) });
  else if (data.focus && data.steps[data.focus.step]) open(data.focus.step);
}

function addCallLinks(viewer, data) {
  const overlays = viewer.get("overlays");
  const registry = viewer.get("elementRegistry");
  for (const [id, url] of Object.entries(data.calls || {})) {
    if (!registry.get(id)) continue;
    const text = data.mode === "case" ? "See inside" : "Open its map";
    overlays.add(id, "maps-call", {
      position: { bottom: -6, left: 4 },
      html: make("a", { className: "maps-badge maps-badge--link", text, attrs: { href: url } }),
    });
  }
}

// ---------------------------------------------------------------------------------------- case map

class CaseReplay {
  constructor(viewer, data, panel) {
    this.viewer = viewer;
    this.data = data;
    this.panel = panel;
    this.canvas = viewer.get("canvas");
    this.overlays = viewer.get("overlays");
    this.registry = viewer.get("elementRegistry");
    this.total = data.events.length;
    this.markers = [];
    this.timer = null;
    this.playButton = document.querySelector("[data-replay='play']");
    this.bind();
    this.show(data.at);
  }

  bind() {
    for (const control of document.querySelectorAll("a[data-replay]")) {
      control.addEventListener("click", (event) => {
        if (!plainClick(event)) return;
        event.preventDefault();
        if (control.getAttribute("aria-disabled") === "true") return;
        this.stop();
        this.show(this.target(control.dataset.replay), { pushUrl: true });
      });
    }
    for (const link of document.querySelectorAll("a[data-replay-to]")) {
      link.addEventListener("click", (event) => {
        if (!plainClick(event)) return;
        event.preventDefault();
        this.stop();
        this.show(Number(link.dataset.replayTo), { pushUrl: true });
        wrapper.scrollIntoView({ block: "start" });
      });
    }
    this.playButton.hidden = false;
    this.playButton.addEventListener("click", () => (this.timer ? this.stop() : this.play()));
    this.viewer.get("eventBus").on("element.click", (event) => this.describe(elementIdOf(event.element)));
  }

  // Previous and Next step through the events of the trail view shown (by default people's work only:
  // app/maps/trail.py WORK_KINDS); Last is the case as it is now.
  target(name) {
    const shown = this.data.shown || [];
    const previous = Math.max(0, ...shown.filter((i) => i < this.k));
    const after = shown.filter((i) => i > this.k);
    const next = after.length ? Math.min(...after) : this.total;
    return { first: 0, previous, next, last: this.total }[name];
  }

  play() {
    if (this.k >= this.total) this.show(0);
    this.playButton.textContent = "Pause";
    this.timer = window.setInterval(() => {
      if (this.k >= this.total) this.stop();
      else this.show(this.target("next"), { pushUrl: true });
    }, 1200);
  }

  stop() {
    if (this.timer) window.clearInterval(this.timer);
    this.timer = null;
    this.playButton.textContent = "Play";
  }

  urlFor(k) {
    return k === 0 ? this.data.start_url : this.data.events[k - 1].url;
  }

  show(k, { pushUrl = false } = {}) {
    this.k = Math.max(0, Math.min(k, this.total));
    const frame = this.data.frames[this.k];
    this.draw(frame);
    this.updateStatus();
    this.updateControls();
    this.updateTables(frame);
    if (pushUrl) window.history.replaceState(null, "", this.urlFor(this.k));
    wrapper.dataset.at = String(this.k);
    if (this.panel.selected) this.describe(this.panel.selected);
  }

  mark(id, className) {
    if (!this.registry.get(id)) return;
    this.canvas.addMarker(id, className);
    this.markers.push([id, className]);
  }

  badge(id, text, className, position, title) {
    if (!this.registry.get(id)) return;
    const html = make("span", { className: `maps-badge ${className}`, text, attrs: title ? { title } : {} });
    this.overlays.add(id, "maps-state", { position, html });
  }

  draw(frame) {
    for (const [id, className] of this.markers) this.canvas.removeMarker(id, className);
    this.markers = [];
    this.overlays.remove({ type: "maps-state" });
    for (const [id, state] of Object.entries(frame.elements)) {
      this.mark(id, `maps-el--${state.status}`);
      if (state.status === "active") this.badge(id, "Now", "maps-badge--active", { top: -12, left: -6 }, state.words);
      // Run counts on the activities only: on every gateway and event they would bury the drawing.
      if (state.runs > 0 && this.data.steps[id] && this.data.steps[id].activity) {
        this.badge(id, `Ran ${state.runs}×`, "maps-badge--runs", { top: -12, right: 8 },
          `Ran ${state.runs} time${state.runs === 1 ? "" : "s"}`);
      }
    }
    for (const flow of frame.flows) this.mark(flow, "maps-flow--taken");
    for (const deadline of frame.deadlines) {
      this.badge(deadline.element_id, deadline.words, `maps-badge--${deadline.state}`, { bottom: -4, left: -24 },
        `${deadline.name}: due ${deadline.due_label}`);
    }
    const event = this.data.events[this.k - 1];
    if (event && event.here) this.mark(event.element_id, "maps-el--current");
  }

  updateStatus() {
    const status = document.getElementById("maps-replay-status");
    const event = this.data.events[this.k - 1];
    if (!event) {
      status.replaceChildren(`Before the first event: ${this.total} event${this.total === 1 ? "" : "s"} to replay.`);
      return;
    }
    const where = event.here ? "" : ` (in ${event.process_name})`;
    status.replaceChildren(`Event ${this.k} of ${this.total}: `, make("strong", { text: event.name }),
      ` ${event.state} at `, make("time", { text: event.at_label, attrs: { datetime: event.at } }),
      ` by ${event.by}${where}`);
  }

  updateControls() {
    for (const control of document.querySelectorAll("a[data-replay]")) {
      const target = this.target(control.dataset.replay);
      if (target < 0 || target > this.total || target === this.k) {
        control.removeAttribute("href");
        control.setAttribute("aria-disabled", "true");
      } else {
        control.setAttribute("href", this.urlFor(target));
        control.removeAttribute("aria-disabled");
      }
    }
    for (const row of document.querySelectorAll("#maps-trail tbody tr")) {
      const current = Number(row.dataset.index) === this.k;
      row.classList.toggle("maps-trail__row--current", current);
      if (current) row.setAttribute("aria-current", "step");
      else row.removeAttribute("aria-current");
    }
  }

  updateTables(frame) {
    const later = this.k < this.total;
    document.getElementById("maps-case-steps-heading").textContent = later ? `Steps after event ${this.k}` : "Steps so far";
    document.getElementById("maps-case-deadlines-heading").textContent = later ? `Deadlines after event ${this.k}` : "Deadlines";
    const cell = (content, numeric) => make("td", { className: `govuk-table__cell${numeric ? " govuk-table__cell--numeric" : ""}` },
      [].concat(content));
    const steps = this.data.order.filter((id) => frame.elements[id]).map((id) => {
      const step = this.data.steps[id];
      const state = frame.elements[id];
      const name = [make("a", { className: "govuk-link", text: step.name, attrs: { href: step.url } })];
      if (this.data.calls[id]) {
        name.push(make("br"), make("a", { className: "govuk-link govuk-body-s", text: "See inside for this case",
          attrs: { href: this.data.calls[id] } }));
      }
      return make("tr", { className: "govuk-table__row", attrs: { "data-element-id": id, "data-status": state.status } },
        [cell(name), cell(state.words), cell(String(state.runs), true)]);
    });
    const empty = (columns, text) => make("tr", { className: "govuk-table__row" },
      [make("td", { className: "govuk-table__cell", text, attrs: { colspan: String(columns) } })]);
    document.querySelector("#maps-case-steps tbody").replaceChildren(
      ...(steps.length ? steps : [empty(3, "Nothing had happened on this map yet.")]));
    const deadlines = frame.deadlines.map((d) => {
      const [words, tag] = STATE_TAGS[d.state] || [d.words, "govuk-tag--grey"];
      const on = this.data.steps[d.attached_element_id];
      return make("tr", { className: "govuk-table__row", attrs: { "data-element-id": d.element_id, "data-state": d.state } }, [
        cell(d.name), cell(on ? on.name : ""), cell(make("time", { text: d.due_label, attrs: { datetime: d.due_at } })),
        cell(make("strong", { className: `govuk-tag ${tag}`, text: words }))]);
    });
    document.querySelector("#maps-case-deadlines tbody").replaceChildren(
      ...(deadlines.length ? deadlines : [empty(4, `No deadlines on this map${later ? " yet" : ""}.`)]));
  }

  // The panel for one element: where it stood at this point of the replay and everything that happened to it.
  describe(id) {
    const step = this.data.steps[id];
    if (!step) return;
    this.panel.select(id);
    const frame = this.data.frames[this.k];
    const state = frame.elements[id];
    const nodes = [make("h2", { className: "govuk-heading-m", text: step.name, attrs: { tabindex: "-1", id: "maps-panel-heading" } })];
    nodes.push(make("p", { className: "govuk-body" }, [
      make("strong", { text: state ? state.words : "Not reached" }),
      state && state.runs ? ` · ran ${state.runs} time${state.runs === 1 ? "" : "s"}` : ""]));
    for (const d of frame.deadlines.filter((x) => x.element_id === id || x.attached_element_id === id)) {
      const [words, tag] = STATE_TAGS[d.state] || [d.words, "govuk-tag--grey"];
      nodes.push(make("p", { className: "govuk-body-s" }, [make("strong", { className: `govuk-tag ${tag}`, text: words }),
        ` ${d.name}: due ${d.due_label}`]));
    }
    const events = this.data.events.filter((e) => e.here && e.element_id === id && e.index <= this.k);
    if (events.length) {
      nodes.push(make("h3", { className: "govuk-heading-s", text: "What happened here" }));
      nodes.push(make("ol", { className: "govuk-list govuk-body-s" }, events.map((e) => make("li", {}, [
        make("a", { className: "govuk-link", text: `Event ${e.index}`, attrs: { href: e.url, "data-replay-to": String(e.index) } }),
        `: ${e.state} at ${e.at_label} by ${e.by}`]))));
    }
    const links = [make("a", { className: "govuk-link", text: "What this step is", attrs: { href: step.url } })];
    if (this.data.calls[id]) links.push(" · ", make("a", { className: "govuk-link", text: "See inside for this case", attrs: { href: this.data.calls[id] } }));
    nodes.push(make("p", { className: "govuk-body-s" }, links));
    this.panel.show(nodes);
    for (const link of this.panel.body.querySelectorAll("a[data-replay-to]")) {
      link.addEventListener("click", (event) => {
        if (!plainClick(event)) return;
        event.preventDefault();
        this.stop();
        this.show(Number(link.dataset.replayTo), { pushUrl: true });
      });
    }
    wrapper.dataset.selected = id;
  }
}
