// The visual diff on /process-models/<id>/diff: the two versions' diagrams side by side, with added,
// removed and changed elements marked by outline colour, line pattern (solid, dashed, dotted) and a
// worded badge, so colour is never the only signal. The table on the page lists the same changes and is
// the whole diff without JavaScript; its "Show on the diagram" buttons scroll both diagrams to a row's element.

import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import camunda from "camunda-bpmn-moddle/resources/camunda.json";

const BADGES = { added: "+ Added", removed: "\u2212 Removed", changed: "~ Changed" };

function badge(status) {
  const element = document.createElement("span");
  element.className = `versions-badge versions-badge--${status}`;
  element.textContent = BADGES[status];
  return element;
}

class Side {
  constructor(container, version) {
    this.container = container;
    this.version = version;
    this.viewer = new NavigatedViewer({ container, moddleExtensions: { camunda } });
    this.canvas = this.viewer.get("canvas");
    this.shown = false;
  }

  async show(url, marks) {
    this.shown = false;
    this.viewer.clear();
    this.container.querySelector(".versions-canvas__absent")?.remove();
    if (!url) {
      const note = document.createElement("p");
      note.className = "govuk-body versions-canvas__absent";
      note.textContent = `This diagram is not in version ${this.version}.`;
      this.container.appendChild(note);
      return 0;
    }
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`version ${this.version}: ${response.status}`);
    await this.viewer.importXML(await response.text());
    this.canvas.zoom("fit-viewport");
    this.shown = true;
    return this.mark(marks);
  }

  mark(marks) {
    const registry = this.viewer.get("elementRegistry");
    const overlays = this.viewer.get("overlays");
    let count = 0;
    for (const [id, status] of Object.entries(marks)) {
      const element = registry.get(id);
      if (!element) continue;
      this.canvas.addMarker(id, `versions-diff--${status}`);
      // Above the element (below a boundary event, whose host's label sits above it).
      const below = element.type === "bpmn:BoundaryEvent";
      const position = below ? { top: element.height + 2, left: -4 } : { top: -22, left: -4 };
      overlays.add(id, "versions-diff", { position, html: badge(status) });
      count += 1;
    }
    return count;
  }

  /** The smallest box around the marked elements (diagram coordinates), or null. */
  markedBox(marks) {
    if (!this.shown) return null;
    const registry = this.viewer.get("elementRegistry");
    let box = null;
    for (const id of Object.keys(marks)) {
      const element = registry.get(id);
      if (!element) continue;
      const points = element.waypoints || [
        { x: element.x, y: element.y }, { x: element.x + element.width, y: element.y + element.height }];
      for (const { x, y } of points) {
        box = box ? { minX: Math.min(box.minX, x), minY: Math.min(box.minY, y), maxX: Math.max(box.maxX, x),
          maxY: Math.max(box.maxY, y) } : { minX: x, minY: y, maxX: x, maxY: y };
      }
    }
    return box;
  }

  locate(id) {
    if (!this.shown) return false;
    const element = this.viewer.get("elementRegistry").get(id);
    if (!element) return false;
    for (const focused of this.viewer.get("elementRegistry").filter((e) => this.canvas.hasMarker(e, "versions-focus"))) {
      this.canvas.removeMarker(focused, "versions-focus");
    }
    this.canvas.zoom(1);
    this.canvas.scrollToElement(element, { top: 120, bottom: 120, left: 200, right: 200 });
    this.canvas.addMarker(element, "versions-focus");
    return true;
  }
}

async function start() {
  const data = JSON.parse(document.getElementById("versions-diff-data").textContent);
  const sides = {
    old: new Side(document.getElementById("versions-old"), data.old_version),
    new: new Side(document.getElementById("versions-new"), data.new_version),
  };
  const chooser = document.getElementById("versions-file");
  const together = document.getElementById("versions-together");
  const status = document.getElementById("versions-visual-status");

  // Move and zoom the two diagrams together (most diffs keep the layout, so the same area is in view).
  let syncing = false;
  for (const [name, side] of Object.entries(sides)) {
    const other = sides[name === "old" ? "new" : "old"];
    side.viewer.get("eventBus").on("canvas.viewbox.changed", ({ viewbox }) => {
      if (syncing || !together.checked || !side.shown || !other.shown) return;
      const current = other.canvas.viewbox();
      const same = ["x", "y", "width", "height"].every((k) => Math.abs(current[k] - viewbox[k]) < 0.5);
      if (same) return;
      syncing = true;
      other.canvas.viewbox({ x: viewbox.x, y: viewbox.y, width: viewbox.width, height: viewbox.height });
      syncing = false;
    });
  }

  // The changes in view on both sides (same coordinates when the layout is kept), with some context.
  function showChanges(file) {
    const boxes = [sides.old.markedBox(file.old_marks), sides.new.markedBox(file.new_marks)].filter(Boolean);
    if (!boxes.length) return showWhole();
    const minX = Math.min(...boxes.map((b) => b.minX)) - 150;
    const minY = Math.min(...boxes.map((b) => b.minY)) - 100;
    const width = Math.max(Math.max(...boxes.map((b) => b.maxX)) - minX + 150, 900);
    const height = Math.max(Math.max(...boxes.map((b) => b.maxY)) - minY + 100, 400);
    syncing = true;
    for (const side of Object.values(sides)) if (side.shown) side.canvas.viewbox({ x: minX, y: minY, width, height });
    syncing = false;
  }

  function showWhole() {
    syncing = true;
    for (const side of Object.values(sides)) if (side.shown) side.canvas.zoom("fit-viewport");
    syncing = false;
  }

  async function showFile(index) {
    const file = data.files[index];
    status.textContent = `Loading ${file.name}\u2026`;
    try {
      const [before, after] = await Promise.all([
        sides.old.show(file.old_url, file.old_marks),
        sides.new.show(file.new_url, file.new_marks),
      ]);
      showChanges(file);
      status.textContent = `${file.name}: ${before} marked in version ${data.old_version}, ${after} in version ${data.new_version}.`;
    } catch (error) {
      status.textContent = `The diagrams could not be drawn (${error.message}). The tables below list every change.`;
    }
  }

  chooser.addEventListener("change", () => showFile(Number(chooser.value)));
  document.getElementById("versions-show-changes").addEventListener("click", () => showChanges(data.files[Number(chooser.value)]));
  document.getElementById("versions-show-whole").addEventListener("click", showWhole);
  for (const button of document.querySelectorAll(".versions-locate")) {
    button.addEventListener("click", async () => {
      const index = data.files.findIndex((f) => f.name === button.dataset.file);
      if (index >= 0 && String(index) !== chooser.value) {
        chooser.value = String(index);
        await showFile(index);
      }
      const found = [sides.old.locate(button.dataset.elementId), sides.new.locate(button.dataset.elementId)];
      document.getElementById("versions-visual").scrollIntoView({ behavior: "smooth", block: "start" });
      if (!found.some(Boolean)) status.textContent = "This element is not drawn on the diagram.";
    });
  }

  // Open on the first diagram with something marked.
  const first = Math.max(0, data.files.findIndex((f) => Object.keys(f.old_marks).length + Object.keys(f.new_marks).length));
  chooser.value = String(first);
  await showFile(first);
  document.body.classList.add("versions-visual-ready");
}

start();
