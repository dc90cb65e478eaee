// The SLA wall, live. Every second each countdown ticks on the server's clock; every few seconds
// (data-refresh on #sla-wall, 15 by default) a fresh wall is fetched (?fragment=1) and swapped in
// without reloading the page. Without JavaScript the page is the same wall as it was when served.

const wall = document.getElementById("sla-wall");
const status = document.getElementById("sla-wall-status");

// Milliseconds to add to this screen's clock to read the server's: the training sandbox moves the
// server's clock, and a wall screen's own clock may simply be wrong.
let offset = 0;

if (wall) {
  readServerClock(wall, Date.now());
  tick();
  setInterval(tick, 1000);
  schedule();
}

function readServerClock(snapshot, receivedAt) {
  const stamp = snapshot.matches("[data-server-now]") ? snapshot : snapshot.querySelector("[data-server-now]");
  const serverNow = stamp ? Date.parse(stamp.dataset.serverNow) : NaN;
  if (!Number.isNaN(serverNow)) offset = serverNow - receivedAt;
}

function tick() {
  const now = Date.now() + offset;
  for (const cell of wall.querySelectorAll("[data-due]")) {
    const due = Date.parse(cell.dataset.due);
    const text = cell.querySelector(".mash-wall__countdown");
    if (text && !Number.isNaN(due)) {
      const words = countdown(due, now);
      if (text.textContent !== words) text.textContent = words;
    }
  }
}

// Worded exactly as app/dashboard/views.py countdown() words it on the server.
function countdown(due, now) {
  const seconds = Math.trunc((due - now) / 1000);
  const left = Math.abs(seconds);
  const days = Math.floor(left / 86400);
  const hours = Math.floor((left % 86400) / 3600);
  const minutes = Math.floor((left % 3600) / 60);
  const secs = left % 60;
  const pad = (n) => String(n).padStart(2, "0");
  let span;
  if (left >= 2 * 86400) span = `${days} d ${hours} h`;
  else if (left >= 3600) span = `${days * 24 + hours} h ${pad(minutes)} min ${pad(secs)} s`;
  else if (left >= 60) span = `${minutes} min ${pad(secs)} s`;
  else span = `${secs} s`;
  return seconds >= 0 ? `${span} left` : `Overdue by ${span}`;
}

function schedule() {
  const seconds = Math.max(2, Number(wall.dataset.refresh) || 15);
  setTimeout(refresh, seconds * 1000);
}

async function refresh() {
  // Someone using a link or a Retry button inside the wall keeps their place until they move away.
  if (document.hidden || wall.contains(document.activeElement)) {
    schedule();
    return;
  }
  const url = location.pathname + location.search + (location.search ? "&" : "?") + "fragment=1";
  try {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (response.redirected && new URL(response.url).pathname === "/login") {
      location.reload(); // signed out: show the sign-in page rather than a wall that has stopped
      return;
    }
    if (!response.ok) throw new Error(`the wall answered ${response.status}`);
    const html = await response.text();
    const receivedAt = Date.now();
    const snapshot = new DOMParser().parseFromString(html, "text/html").querySelector("[data-server-now]");
    if (!snapshot) throw new Error("the answer was not a wall");
    wall.replaceChildren(document.adoptNode(snapshot));
    readServerClock(snapshot, receivedAt);
    tick();
    setStatus("");
  } catch {
    setStatus("Could not refresh; retrying");
  }
  schedule();
}

function setStatus(text) {
  if (status && status.textContent !== text) status.textContent = text;
}
