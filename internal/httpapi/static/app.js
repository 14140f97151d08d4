// Warren's dashboard. It renders the overview that /api/events streams
// (GET /api/overview when EventSource is missing) and, for the trace the
// user picks, the spans from GET /api/traces/{id}?scope=cluster.
//
// Everything is rendered with textContent: names, paths and attributes come
// from other nodes and clients and are never parsed as HTML.
"use strict";

const $ = (sel) => document.querySelector(sel);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function cell(tr, text, cls) {
  const td = el("td", cls, text);
  tr.appendChild(td);
  return td;
}

// fill replaces a table's body with rows, or one row saying it is empty.
function fill(table, rows, emptyText) {
  const body = table.tBodies[0];
  body.replaceChildren(...rows);
  if (rows.length === 0) {
    const tr = el("tr");
    const td = cell(tr, emptyText, "empty");
    td.colSpan = Math.max(1, table.tHead.rows[0] ? table.tHead.rows[0].cells.length : 1);
    body.appendChild(tr);
  }
}

function banner(id, msg) {
  const b = document.getElementById(id);
  b.textContent = msg || "";
  b.hidden = !msg;
}

// Durations arrive in nanoseconds.
function fmtDur(ns) {
  if (ns < 1e3) return ns + " ns";
  if (ns < 1e6) return (ns / 1e3).toFixed(1) + " \u00b5s";
  if (ns < 1e9) return (ns / 1e6).toFixed(ns < 1e7 ? 2 : 1) + " ms";
  return (ns / 1e9).toFixed(2) + " s";
}

// Times arrive as RFC 3339 with nanoseconds; Date keeps milliseconds only,
// so the fraction is kept apart. stamp returns [unix seconds, nanoseconds].
function stamp(ts) {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(ts || "");
  if (!m) return [Date.parse(ts) / 1000 || 0, 0];
  const secs = Date.parse(m[1] + m[3]) / 1000;
  const frac = ((m[2] || "") + "000000000").slice(0, 9);
  return [secs, Number(frac)];
}
function diffNs(a, b) { return (a[0] - b[0]) * 1e9 + (a[1] - b[1]); }
function clock(ts) { return new Date(ts).toLocaleTimeString(); }

// Node colours: the same node has the same colour everywhere.
const nodeIndex = new Map();
function nodeTag(id) {
  if (!nodeIndex.has(id)) nodeIndex.set(id, nodeIndex.size);
  return el("span", "node n" + (nodeIndex.get(id) % 6), "n" + id);
}

// ---- overview ----

let current = null;       // the last overview rendered
let selectedTrace = "";   // trace id shown in the waterfall
let selectedSpans = -1;   // its span count when loaded, to reload on change

function render(ov) {
  if (ov.error) {
    banner("error", "the node cannot build the overview: " + ov.error);
    return;
  }
  banner("error", "");
  current = ov;
  const st = ov.cluster;
  $("#meta").textContent = "as seen by node " + ov.node_id + " \u00b7 " + (st.members || []).length +
    " members \u00b7 " + (st.shards || []).length + " shards \u00b7 placement epoch " + st.placement_epoch +
    " \u00b7 updated " + new Date().toLocaleTimeString();
  const un = ov.unreachable || [];
  banner("unreachable", un.length === 0 ? "" : "incomplete: " +
    un.map((u) => "node " + u.node_id + " (" + u.error + ")").join("; "));
  renderMembers(st, ov.nodes || [], un);
  renderShards(ov.shards || []);
  renderGrains(ov.nodes || []);
  renderSessions(ov.nodes || []);
  renderTraces(ov.traces || []);
}

function renderMembers(st, reports, unreachable) {
  const byID = new Map(reports.map((r) => [r.node_id, r]));
  const lost = new Set(unreachable.map((u) => u.node_id));
  const rows = (st.members || []).map((m) => {
    const r = byID.get(m.node_id);
    const tr = el("tr", lost.has(m.node_id) ? "unreachable" : "");
    tr.dataset.nodeId = m.node_id;
    const idCell = cell(tr, "", "num");
    idCell.appendChild(nodeTag(m.node_id));
    cell(tr, m.name + (m.node_id === st.node_id ? " (this node)" : ""));
    cell(tr, m.state, m.state);
    cell(tr, m.in_placement ? "yes" : "no");
    if (r) {
      const led = r.shards.filter((s) => s.leader === m.node_id).length;
      cell(tr, r.shards.length + " (" + led + ")", "num");
      cell(tr, Object.values(r.grains || {}).reduce((a, b) => a + b, 0), "num");
      cell(tr, r.session_count, "num");
      cell(tr, r.watch_count, "num");
    } else {
      for (let i = 0; i < 4; i++) cell(tr, "-", "num");
    }
    for (const a of [m.gossip_addr, m.raft_addr, m.actor_addr, m.zk_addr, m.kafka_addr, m.http_addr]) cell(tr, a || "-", "mono");
    return tr;
  });
  fill($("#members"), rows, "no members");
}

function renderShards(shards) {
  const rows = shards.map((s) => {
    const tr = el("tr");
    tr.dataset.shardId = s.shard_id;
    const reported = s.replicas.filter((r) => r.reported);
    const maxApplied = reported.reduce((a, r) => Math.max(a, r.applied_index), 0);
    const maxLag = reported.reduce((a, r) => Math.max(a, r.lag), 0);
    const ids = s.replicas.map((r) => r.node_id).sort((a, b) => a - b);
    const desired = (s.desired || []).slice().sort((a, b) => a - b);
    if (!s.leader || ids.join() !== desired.join()) tr.className = "warn";
    cell(tr, s.shard_id === 0 ? "0 (meta)" : s.shard_id, "num");
    cell(tr, s.leader || "none", "num");
    cell(tr, s.term || "-", "num");
    cell(tr, reported.length ? maxApplied : "-", "num applied");
    cell(tr, reported.length ? maxLag : "-", "num lag");
    const reps = cell(tr, "", "replicas");
    for (const r of s.replicas) {
      let cls = "replica";
      let text = "n" + r.node_id + ": ";
      if (!r.reported) {
        cls += " unknown";
        text += "?";
      } else {
        text += r.applied_index + (r.lag ? " (\u2212" + r.lag + ")" : "");
        if (r.lag > 0) cls += " lagging";
      }
      if (r.node_id === s.leader) cls += " leader";
      if (r.non_voting) {
        cls += " observer";
        text += " obs";
      }
      const chip = el("span", cls, text);
      chip.title = (r.node_id === s.leader ? "leader" : r.non_voting ? "non-voting (observer)" : "follower") +
        (r.reported ? "" : "; its node did not report this replica");
      reps.appendChild(chip);
    }
    cell(tr, desired.join(", "));
    return tr;
  });
  fill($("#shards"), rows, "no shards");
}

function renderGrains(reports) {
  const table = $("#grains");
  const kinds = [...new Set(reports.flatMap((r) => Object.keys(r.grains || {})))].sort();
  const head = el("tr");
  head.appendChild(el("th", "", "kind"));
  for (const r of reports) head.appendChild(el("th", "", "node " + r.node_id));
  head.appendChild(el("th", "", "total"));
  table.tHead.replaceChildren(head);
  const rows = kinds.map((k) => {
    const tr = el("tr");
    tr.dataset.kind = k;
    cell(tr, k);
    let total = 0;
    for (const r of reports) {
      const n = (r.grains || {})[k] || 0;
      total += n;
      cell(tr, n, "num");
    }
    cell(tr, total, "num");
    return tr;
  });
  const errs = reports.filter((r) => r.grains_error).map((r) => "node " + r.node_id + ": " + r.grains_error);
  fill(table, rows, errs.length ? "cannot count: " + errs.join("; ") : "no active grains");
}

function renderSessions(reports) {
  const sessions = reports.flatMap((r) => r.sessions || []);
  const rows = sessions.map((s) => {
    const tr = el("tr");
    tr.dataset.sessionId = s.session_id;
    const n = cell(tr, "");
    n.appendChild(nodeTag(s.node_id));
    cell(tr, s.session_id, "mono");
    cell(tr, s.remote, "mono");
    cell(tr, clock(s.established));
    cell(tr, s.timeout_ms + " ms", "num");
    cell(tr, s.last_op);
    cell(tr, "0x" + s.last_zxid.toString(16), "mono");
    cell(tr, s.received + " / " + s.sent, "num");
    const w = cell(tr, s.watches.length, "num");
    w.title = s.watches.map((x) => x.kind + " " + x.path).join("\n");
    return tr;
  });
  const total = reports.reduce((a, r) => a + r.session_count, 0);
  fill($("#sessions"), rows, "no ZooKeeper sessions");
  if (total > sessions.length) {
    const tr = el("tr");
    const td = cell(tr, (total - sessions.length) + " more (GET /api/sessions?scope=cluster lists all)", "empty");
    td.colSpan = 9;
    $("#sessions").tBodies[0].appendChild(tr);
  }
  const watches = sessions.flatMap((s) => s.watches.map((w) => ({ w, s })));
  watches.sort((a, b) => a.w.path < b.w.path ? -1 : a.w.path > b.w.path ? 1 : 0);
  fill($("#watches"), watches.map(({ w, s }) => {
    const tr = el("tr");
    cell(tr, w.path, "mono");
    cell(tr, w.kind);
    cell(tr, s.session_id, "mono");
    cell(tr, "").appendChild(nodeTag(s.node_id));
    return tr;
  }), "no watches");
}

function renderTraces(traces) {
  const rows = traces.map((t) => {
    const tr = el("tr", t.trace_id === selectedTrace ? "trace selected" : "trace");
    tr.dataset.traceId = t.trace_id;
    tr.tabIndex = 0;
    tr.title = "trace " + t.trace_id;
    cell(tr, clock(t.start));
    const root = cell(tr, t.root);
    if (t.partial) {
      const p = el("span", "partial", "partial");
      p.title = "no member holds the trace's root span: it ran in a caller, has not ended, or was evicted";
      root.appendChild(p);
    }
    cell(tr, fmtDur(t.duration_ns), "num");
    cell(tr, t.spans, "num");
    const nodes = cell(tr, "");
    for (const n of t.nodes || []) nodes.appendChild(nodeTag(Number(n)));
    cell(tr, t.error ? "error" : "ok", t.error ? "err" : "");
    tr.addEventListener("click", () => openTrace(t.trace_id));
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") openTrace(t.trace_id); });
    if (t.trace_id === selectedTrace && selectedSpans >= 0 && t.spans !== selectedSpans) {
      setTimeout(() => openTrace(t.trace_id), 0); // more spans arrived since it was loaded
    }
    return tr;
  });
  fill($("#traces"), rows, "no traces yet");
}

// ---- one trace ----

async function openTrace(id) {
  selectedTrace = id;
  for (const tr of document.querySelectorAll("#traces tr.trace")) {
    tr.classList.toggle("selected", tr.dataset.traceId === id);
  }
  $("#trace-view").hidden = false;
  $("#trace-id").textContent = id;
  const summary = current && (current.traces || []).find((t) => t.trace_id === id);
  selectedSpans = summary ? summary.spans : -1;
  try {
    const resp = await fetch("/api/traces/" + id + "?scope=cluster", { cache: "no-store" });
    const body = await resp.json();
    if (!resp.ok) throw new Error(body.error || resp.statusText);
    if (selectedTrace !== id) return; // another was picked meanwhile
    renderWaterfall(body);
  } catch (e) {
    $("#trace-meta").textContent = "cannot load: " + e.message;
    $("#waterfall").replaceChildren();
  }
}

// order returns the spans depth-first: each parent before its children,
// siblings by start; a span whose parent is not held starts a tree.
function order(spans) {
  const byID = new Map(spans.map((s) => [s.span_id, s]));
  const kids = new Map();
  const roots = [];
  for (const s of spans) {
    if (s.parent_span_id && byID.has(s.parent_span_id) && s.parent_span_id !== s.span_id) {
      if (!kids.has(s.parent_span_id)) kids.set(s.parent_span_id, []);
      kids.get(s.parent_span_id).push(s);
    } else {
      roots.push(s);
    }
  }
  const out = [];
  const seen = new Set();
  const walk = (s, depth) => {
    if (seen.has(s.span_id)) return;
    seen.add(s.span_id);
    out.push({ s, depth });
    for (const c of kids.get(s.span_id) || []) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  for (const s of spans) walk(s, 0); // spans in a parent cycle, if any
  return out;
}

function renderWaterfall(trace) {
  const spans = trace.spans.map((s) => Object.assign({}, s, { _start: stamp(s.start) }));
  let t0 = spans[0]._start;
  for (const s of spans) if (diffNs(s._start, t0) < 0) t0 = s._start;
  let total = 1;
  for (const s of spans) total = Math.max(total, diffNs(s._start, t0) + s.duration_ns);
  const nodes = [...new Set(spans.map((s) => s.node_id))].sort((a, b) => a - b);
  let meta = spans.length + (spans.length === 1 ? " span" : " spans") + " on node" + (nodes.length > 1 ? "s " : " ") +
    nodes.join(", ") + " \u00b7 " + fmtDur(total);
  if ((trace.unreachable || []).length) {
    meta += " \u00b7 missing nodes " + trace.unreachable.map((u) => u.node_id).join(", ");
  }
  $("#trace-meta").textContent = meta;

  const wf = $("#waterfall");
  const axis = el("div", "axis");
  axis.appendChild(el("div", "label", "node \u00b7 span"));
  const ticks = el("div", "track");
  for (let i = 0; i <= 4; i++) {
    const t = el("span", "tick" + (i === 0 ? " first" : i === 4 ? " last" : ""), fmtDur(Math.round(total * i / 4)));
    t.style.left = (i * 25) + "%";
    ticks.appendChild(t);
  }
  axis.appendChild(ticks);
  const rows = [axis];
  for (const { s, depth } of order(spans)) {
    const row = el("div", "span");
    row.dataset.spanId = s.span_id;
    row.dataset.nodeId = s.node_id;
    const label = el("div", "label");
    label.style.paddingLeft = (0.5 + depth * 1.1) + "rem";
    label.appendChild(nodeTag(s.node_id));
    label.appendChild(el("span", "name", s.name));
    label.appendChild(el("span", "kind", s.kind));
    row.appendChild(label);
    const track = el("div", "track");
    const left = diffNs(s._start, t0) / total * 100;
    const width = s.duration_ns / total * 100;
    const bar = el("div", "bar n" + (nodeIndex.get(s.node_id) % 6) + (s.status.code === "error" ? " error" : ""));
    bar.style.left = left + "%";
    bar.style.width = Math.max(width, 0.2) + "%";
    track.appendChild(bar);
    // The duration follows the bar, or sits inside its end when the bar
    // reaches the right edge.
    const dur = el("span", "dur", fmtDur(s.duration_ns));
    if (left + width > 85 && width > 15) {
      dur.classList.add("inside");
      dur.style.right = Math.max(0, 100 - left - width) + "%";
    } else {
      dur.style.left = Math.min(left + width, 90) + "%";
    }
    track.appendChild(dur);
    row.appendChild(track);
    row.title = s.name + " \u00b7 " + fmtDur(s.duration_ns) + " \u00b7 node " + s.node_id +
      Object.entries(s.attributes || {}).map(([k, v]) => "\n" + k + " = " + v).join("");
    row.addEventListener("click", () => showSpan(s, row));
    rows.push(row);
  }
  wf.replaceChildren(...rows);
  $("#span-detail").hidden = true;
}

function kvTable(title, obj) {
  const entries = Object.entries(obj || {}).sort(([a], [b]) => a < b ? -1 : 1);
  const frag = document.createDocumentFragment();
  if (entries.length === 0) return frag;
  frag.appendChild(el("strong", "", title));
  const t = el("table");
  const body = el("tbody");
  for (const [k, v] of entries) {
    const tr = el("tr");
    cell(tr, k, "mono");
    cell(tr, v, "mono");
    body.appendChild(tr);
  }
  t.appendChild(body);
  frag.appendChild(t);
  return frag;
}

function showSpan(s, row) {
  for (const r of document.querySelectorAll("#waterfall .span.selected")) r.classList.remove("selected");
  row.classList.add("selected");
  const d = $("#span-detail");
  const h = el("h3");
  h.appendChild(nodeTag(s.node_id));
  h.appendChild(document.createTextNode(s.name + " (" + s.kind + ", " + fmtDur(s.duration_ns) + ")"));
  const facts = {
    span_id: s.span_id,
    parent_span_id: (s.parent_span_id || "none") + (s.remote_parent ? " (remote)" : ""),
    start: s.start,
    status: s.status.code + (s.status.description ? ": " + s.status.description : ""),
    scope: s.scope || "",
  };
  const parts = [h, kvTable("span", facts), kvTable("attributes", s.attributes), kvTable("resource", s.resource)];
  for (const e of s.events || []) parts.push(kvTable("event " + e.name + " at " + e.time, e.attributes || { "": "" }));
  d.replaceChildren(...parts);
  d.hidden = false;
}

// ---- updates ----

function setLive(state, text) {
  const l = $("#live");
  l.className = "live " + state;
  l.textContent = text;
}

async function poll() {
  try {
    const resp = await fetch("/api/overview", { cache: "no-store" });
    const body = await resp.json();
    if (!resp.ok) throw new Error(body.error || resp.statusText);
    render(body);
    setLive("on", "polling");
  } catch (e) {
    setLive("off", "offline");
    banner("error", "cannot load the overview: " + e.message);
  }
}

function start() {
  if (!window.EventSource) {
    poll();
    setInterval(poll, 2000);
    return;
  }
  const es = new EventSource("/api/events");
  es.onopen = () => setLive("on", "live");
  es.onmessage = (e) => {
    setLive("on", "live");
    render(JSON.parse(e.data));
  };
  es.onerror = () => setLive(es.readyState === EventSource.CLOSED ? "off" : "connecting",
    es.readyState === EventSource.CLOSED ? "offline" : "reconnecting\u2026");
}

start();
