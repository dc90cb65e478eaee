// The page around the in-app modeler's two editors (diagrams: web/src/modeler.js; decision tables:
// web/src/tables.js; bundled into each by web/build.mjs): undo and redo, the deploy pipeline's check as the file
// changes, the error summary and warnings, download and revert, the note and deploy, the banners, and the
// warning before leaving with changes that were not deployed. One place, so the two editors answer a process
// owner in the same words. An editor says what it edits (`noun`), loads its XML (`load`), names the command stack
// undo works on (`undoStack`), and shows a finding in its own canvas (`markProblems`, `problemText`, `problemItem`).

const CHECK_DELAY_MS = 1200;

export function h(tag, attributes = {}, ...children) {
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

export function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export class EditorPage {
  // noun: "diagram" or "table"; markedHow: where the findings are marked, as the status line says it.
  constructor(config, csrfToken, { noun, markedHow }) {
    this.config = config;
    this.csrfToken = csrfToken;
    this.noun = noun;
    this.markedHow = markedHow;
    this.dirty = false;
    this.problems = [];
    this.checkTimer = null;
    this.checkSeq = 0;
    this.originalXml = "";

    this.lintEl = document.getElementById("modeler-lint");
    this.problemsEl = document.getElementById("modeler-problems");
    this.bannerEl = document.getElementById("modeler-banner");
  }

  // -- what an editor supplies
  async load(_xml) {
    throw new Error("an editor loads its own XML");
  }

  undoStack() {
    return null;
  }

  markProblems(_problems) {}

  deployedLinks() {
    return this.config.historyUrl
      ? [h("a", { class: "govuk-notification-banner__link", href: this.config.historyUrl, text: "See the version history" })]
      : [];
  }

  // -- the file
  async start(url) {
    this.wireControls();
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) {
      this.lintStatus("error", `The ${this.noun} could not be loaded (the server answered ${response.status}).`);
      return;
    }
    this.originalXml = await response.text();
    await this.load(this.originalXml);
  }

  wireControls() {
    const on = (id, handler) => document.getElementById(id).addEventListener("click", handler);
    on("modeler-undo", () => this.undoStack()?.undo());
    on("modeler-redo", () => this.undoStack()?.redo());
    on("modeler-check", () => this.check({ focus: true }));
    on("modeler-download", () => this.download());
    on("modeler-revert", () => this.revert());
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
    clearTimeout(this.checkTimer);
    this.checkSeq += 1; // an answer to a check of the file before this change is out of date
    this.lintStatus("busy", `Changed: the ${this.noun} will be checked in a moment.`);
    this.checkTimer = setTimeout(() => this.check({ focus: false }), CHECK_DELAY_MS);
  }

  updateUndoButtons() {
    const stack = this.undoStack();
    document.getElementById("modeler-undo").disabled = !stack || !stack.canUndo();
    document.getElementById("modeler-redo").disabled = !stack || !stack.canRedo();
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
    this.lintStatus("busy", `Checking the ${this.noun}…`);
    let response;
    try {
      response = await this.post(this.config.checkUrl, { files: { [this.config.file]: await this.xml() } });
    } catch {
      if (seq === this.checkSeq) this.lintStatus("error", `The ${this.noun} could not be checked: the service did not answer.`);
      return;
    }
    if (seq !== this.checkSeq) return; // a newer check is on its way
    if (!response.ok) {
      this.lintStatus("error", `The ${this.noun} could not be checked (the server answered ${response.status}).`);
      return;
    }
    const { problems, warnings } = await response.json();
    this.showProblems(problems, { focus, warnings });
  }

  showProblems(problems, { focus, title, warnings = [] }) {
    this.problems = problems;
    this.markProblems(problems);
    this.renderSummary(problems, focus, title);
    this.renderWarnings(warnings);
    if (problems.length) {
      this.lintStatus("error", `${plural(problems.length, "problem")} found: they are listed at the top of the page`
        + ` and ${this.markedHow}. It cannot be deployed until they are fixed.`);
    } else {
      this.lintStatus("ok", `No problems found: the ${this.noun} passes every check a deploy makes`
        + (warnings.length ? `, with ${plural(warnings.length, "warning")} listed below.` : "."));
    }
  }

  renderWarnings(warnings) {
    const list = document.getElementById("modeler-warnings");
    list.replaceChildren(...(warnings.length ? [
      h("h3", { class: "govuk-heading-s", text: "Warnings (they do not stop a deploy)" }),
      h("ul", { class: "govuk-list govuk-list--bullet" }, warnings.map((warning) => this.problemItem(warning, "govuk-link"))),
    ] : []));
  }

  renderSummary(problems, focus, title = `There is a problem with the ${this.noun}`) {
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
    const notDeployed = `The ${this.noun} was not deployed`;
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
        this.showProblems(body.errors, { focus: true, title: notDeployed });
      } else {
        this.banner("error", notDeployed,
          `The server answered ${response.status}. Nothing was changed; reload the page and try again.`);
      }
    } catch {
      this.banner("error", notDeployed, "The service did not answer. Nothing was changed.");
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
    const joined = this.deployedLinks().flatMap((link, index) => (index ? [" or ", link] : [link]));
    this.renderWarnings(warnings || []);
    this.banner("success", created ? `Version ${version} deployed` : `Nothing new to deploy: this is version ${version}`,
      this.deployedSaid(created, version, latest), joined.length ? h("span", {}, ...joined, ".") : null);
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

// Opens an editor page when the page is there: the no-JavaScript alternative goes, the editor shows.
export function startEditor(rootId, makePage) {
  const root = document.getElementById(rootId);
  if (!root) return;
  document.getElementById("modeler-nojs").remove();
  root.hidden = false;
  const config = JSON.parse(document.getElementById("modeler-config").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  const page = makePage(config, csrf);
  page.start().catch((error) => {
    console.error(error);
    page.lintStatus("error", `The ${page.noun} could not be opened: ${error.message}`);
  });
}
