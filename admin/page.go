package admin

// pageHTML is the panel. The server renders the first table so the page is useful without
// script; the script then refreshes it every second from api/ps, sorts by any column, and sends
// the per-row actions.
const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="orbital-csrf" content="{{.CSRF}}">
<title>{{.Title}} — Orbital admin</title>
<style>
:root { --bg:#f6f7f9; --fg:#1d2330; --muted:#6b7385; --line:#e2e5ea; --accent:#3d5afe; --bad:#d32f2f; --ok:#2e7d32; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
header { background:#1d2330; color:#fff; padding:12px 20px; display:flex; align-items:baseline; gap:16px; }
header h1 { font-size:17px; margin:0; font-weight:600; }
header .sub { color:#aab2c5; font-size:13px; }
header .live { margin-left:auto; font-size:12px; color:#aab2c5; }
header .live.stale { color:#ffb4a9; }
main { padding:16px 20px; }
table { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); border-radius:6px; overflow:hidden; }
th, td { padding:7px 10px; text-align:left; border-bottom:1px solid var(--line); white-space:nowrap; }
th { background:#eef0f4; font-weight:600; font-size:12px; color:#3a4254; cursor:pointer; user-select:none; }
th.sorted::after { content:" ▾"; } th.sorted.asc::after { content:" ▴"; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
tr:hover td { background:#f8f9ff; }
.state { padding:1px 8px; border-radius:10px; font-size:12px; background:#e8eaf6; }
.state.running { background:#e6f4ea; color:var(--ok); } .state.blocked { background:#fff4e0; color:#9a6700; }
.state.crashed { background:#fdecea; color:var(--bad); } .state.exited { background:#eceff1; color:var(--muted); }
.grants { color:var(--muted); font-size:12px; max-width:260px; overflow:hidden; text-overflow:ellipsis; }
button { font:inherit; font-size:12px; padding:3px 9px; border:1px solid #c5cad6; background:#fff; border-radius:4px; cursor:pointer; }
button:hover { border-color:var(--accent); color:var(--accent); }
button.danger:hover { border-color:var(--bad); color:var(--bad); }
button:disabled { opacity:.4; cursor:not-allowed; }
#msg { min-height:20px; margin:8px 0; color:var(--bad); }
#logs { margin-top:16px; background:#11151c; color:#d8dee9; border-radius:6px; padding:10px 14px; font:12px/1.5 ui-monospace, monospace; max-height:320px; overflow:auto; display:none; white-space:pre-wrap; }
#logs h2 { font:600 13px system-ui; margin:0 0 8px; color:#fff; }
section h2 { font-size:15px; margin:20px 0 8px; }
body:not(.clustered) .nodecol { display:none; }
.empty { color:var(--muted); padding:20px; text-align:center; }
</style>
</head>
<body>
<header><h1>Orbital admin</h1><span class="sub">{{.Title}}</span><span class="live" id="live">updated {{.Now}}</span></header>
<main>
<div id="msg" role="alert"></div>
<table id="procs">
<thead><tr>
<th data-k="pid" class="sorted asc">PID</th><th data-k="name">Name</th><th data-k="version">Version</th><th data-k="kind">Kind</th>
<th data-k="state">State</th><th data-k="started_by">Started by</th><th data-k="uptime">Uptime</th><th data-k="cpu_ns">CPU</th>
<th data-k="cpu_pct">CPU %</th><th data-k="memory">Memory</th><th data-k="storage" title="key-value storage used / quota">Storage</th><th data-k="inbox">Inbox</th><th data-k="msgs_in">In</th>
<th data-k="msgs_out">Out</th><th data-k="drops">Drops</th><th data-k="restarts">Restarts</th><th data-k="last_exit">Last exit</th>
<th data-k="grants">Grants</th><th data-k="node" class="nodecol">Node</th><th>Actions</th>
</tr></thead>
<tbody>
{{range .Rows}}<tr data-pid="{{.PID}}"><td class="num">{{.PID}}</td><td>{{.Name}}</td><td{{if .Reload}} title="{{.Reload}}"{{end}}>{{.Version}}</td><td>{{.Kind}}</td>
<td><span class="state {{.State}}">{{.State}}</span></td><td>{{.StartedBy}}</td><td class="num">{{.Uptime}}</td><td class="num">{{.CPUStr}}</td>
<td class="num">{{printf "%.1f" .CPUPct}}</td><td class="num">{{.MemStr}}</td><td class="num storage">{{.StorageText}}</td><td class="num">{{.Inbox}}</td><td class="num">{{.MsgsIn}}</td>
<td class="num">{{.MsgsOut}}</td><td class="num">{{.Drops}}</td><td class="num">{{.Restarts}}</td><td>{{.LastExit}}</td><td class="grants">{{range .Grants}}{{.}} {{end}}</td><td class="nodecol">{{.Node}}</td>
<td><button data-act="stop" data-pid="{{.PID}}">Stop</button> <button data-act="restart" data-pid="{{.PID}}">Restart</button> <button data-act="reload" data-pid="{{.PID}}" title="move it to the newest installed version in place">Reload</button> <button class="danger" data-act="kill" data-pid="{{.PID}}">Kill</button> <button data-act="logs" data-pid="{{.PID}}">Logs</button></td></tr>
{{else}}<tr><td colspan="20" class="empty">No modules are running.</td></tr>{{end}}
</tbody>
</table>
<section id="devices-section" hidden>
<h2>Devices</h2>
<table id="devices"><thead><tr><th>Driver</th><th>PID</th><th>Module</th><th>Memory</th><th>Dispatches</th><th>Draws</th><th>Device time</th><th>Refused</th><th>Abandoned</th><th>Lost</th></tr></thead>
<tbody></tbody></table>
</section>
<section id="nodes-section" hidden>
<h2>Nodes</h2>
<table id="nodes"><thead><tr><th>Name</th><th>State</th><th>Address</th><th>Uptime</th><th>Cores</th><th>Memory free</th><th>Processes</th><th>Drivers</th><th>Last seen</th></tr></thead>
<tbody></tbody></table>
</section>
<section id="jobs-section" hidden>
<h2>Jobs</h2>
<table id="jobs"><thead><tr><th>Module</th><th>Trigger</th><th>State</th><th>Last run</th><th>Next run</th><th>Runs</th><th>Skips</th><th>Restarts</th><th>Last exit</th></tr></thead>
<tbody><tr><td colspan="9" class="empty">No module has triggers.</td></tr></tbody></table>
<h2>Installed modules</h2>
<table id="installed"><thead><tr><th>Name</th><th>Version</th><th>Kind</th><th>Description</th><th>Actions</th></tr></thead>
<tbody><tr><td colspan="5" class="empty">Nothing installed.</td></tr></tbody></table>
</section>
<div id="logs"></div>
</main>
<script>
"use strict";
const csrf = document.querySelector('meta[name="orbital-csrf"]').content;
let sortKey = "pid", asc = true, procs = [], now = Date.now(), logsPid = 0, selfNode = "";
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
function dur(ns) { const s = ns / 1e9; if (s < 1) return Math.round(ns/1e6) + "ms"; if (s < 60) return s.toFixed(1) + "s";
  if (s < 3600) return Math.floor(s/60) + "m" + String(Math.floor(s%60)).padStart(2,"0") + "s";
  if (s < 172800) return Math.floor(s/3600) + "h" + String(Math.floor(s%3600/60)).padStart(2,"0") + "m";
  return Math.floor(s/86400) + "d" + String(Math.floor(s%86400/3600)).padStart(2,"0") + "h"; }
function storage(p) { if (!p.storage_quota && !p.storage) return "-"; return bytes(p.storage || 0) + " / " + (p.storage_quota ? bytes(p.storage_quota) : "none"); }
function bytes(n) { if (n < 1024) return n + "B"; const u = "KMGTPE"; let i = -1; do { n /= 1024; i++; } while (n >= 1024 && i < 5); return n.toFixed(1) + u[i] + "iB"; }
function uptime(p) { return p.started && !p.started.startsWith("0001") ? (now - Date.parse(p.started)) * 1e6 : 0; }
function val(p, k) { return k === "uptime" ? uptime(p) : k === "grants" ? (p.grants || []).join(" ") : p[k]; }
function render() {
  const rows = procs.slice().sort((a, b) => { const x = val(a, sortKey), y = val(b, sortKey); return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1); });
  const tb = $("#procs tbody");
  if (!rows.length) { tb.innerHTML = '<tr><td colspan="20" class="empty">No modules are running.</td></tr>'; return; }
  tb.innerHTML = rows.map(p => { const remote = p.node && selfNode && p.node !== selfNode;
    const dis = remote ? " disabled title=\"on node " + esc(p.node) + ": act there\"" : p.protected ? " disabled title=\"protected: the shell and system drivers cannot be stopped here\"" : "";
    return '<tr data-pid="' + p.pid + '"><td class="num">' + p.pid + "</td><td>" + esc(p.name) + "</td><td" + (p.reload ? ' title="' + esc(p.reload) + '"' : "") + ">" + esc(p.version) + (p.reload ? (p.reload.startsWith("rolled back") ? " ↺" : " ⟳") : "") + "</td><td>" + esc(p.kind) +
    '</td><td><span class="state ' + esc(p.state) + '">' + esc(p.state) + "</span></td><td>" + esc(p.started_by) + '</td><td class="num">' + dur(uptime(p)) +
    '</td><td class="num">' + dur(p.cpu_ns) + '</td><td class="num">' + p.cpu_pct.toFixed(1) + '</td><td class="num">' + bytes(p.memory) +
    '</td><td class="num storage">' + storage(p) + '</td><td class="num">' + p.inbox + '</td><td class="num">' + p.msgs_in + '</td><td class="num">' + p.msgs_out + '</td><td class="num">' + p.drops +
    '</td><td class="num">' + p.restarts + "</td><td>" + esc(p.last_exit) + '</td><td class="grants" title="' + esc((p.grants||[]).join("\n")) + '">' + esc((p.grants||[]).join(" ")) + '</td><td class="nodecol">' + esc(p.node) +
    '</td><td><button data-act="stop" data-pid="' + p.pid + '"' + dis + '>Stop</button> <button data-act="restart" data-pid="' + p.pid + '"' + dis +
    '>Restart</button> <button data-act="reload" data-pid="' + p.pid + '"' + (remote ? dis : p.kind === "driver" ? " disabled" : "") +
    ' title="move it to the newest installed version in place">Reload</button> <button class="danger" data-act="kill" data-pid="' + p.pid + '"' + dis + '>Kill</button> <button data-act="logs" data-pid="' + p.pid + '"' + (remote ? dis : "") + '>Logs</button></td></tr>'; }).join("");
}
function renderDevices() {
  const rows = [];
  for (const d of procs) for (const u of (d.usage || [])) rows.push([d, u]);
  $("#devices-section").hidden = !rows.length;
  const n = (u, k) => (u.values || {})[k] ?? 0;
  $("#devices tbody").innerHTML = rows.map(([d, u]) => "<tr><td>" + esc(d.name) + '</td><td class="num">' + u.pid + "</td><td>" + esc(u.name) +
    '</td><td class="num">' + bytes(n(u, "gpu_memory")) + '</td><td class="num">' + n(u, "dispatches") + '</td><td class="num">' + n(u, "draws") +
    '</td><td class="num">' + dur(n(u, "gpu_ms") * 1e6) + '</td><td class="num">' + n(u, "refused") + '</td><td class="num">' + n(u, "abandoned") +
    '</td><td class="num">' + n(u, "lost") + "</td></tr>").join("");
}
async function refresh() {
  try {
    const r = await fetch("api/ps?cluster=1", {cache: "no-store"});
    if (!r.ok) throw new Error("HTTP " + r.status);
    const d = await r.json(); procs = d.procs || []; now = Date.parse(d.now);
    $("#live").textContent = "live · updated " + new Date(now).toLocaleTimeString(); $("#live").classList.remove("stale");
    render(); renderDevices(); if (logsPid) showLogs(logsPid);
  } catch (e) { $("#live").textContent = "not updating: " + e.message; $("#live").classList.add("stale"); }
}
async function act(action, pid) {
  const r = await fetch("api/" + action, {method: "POST", headers: {"Content-Type": "application/json", "X-Orbital-CSRF": csrf}, body: JSON.stringify({pid: pid})});
  const d = await r.json().catch(() => ({}));
  $("#msg").textContent = r.ok ? (d.text || "") : (d.error || ("HTTP " + r.status));
  refresh();
}
async function showLogs(pid) {
  logsPid = pid;
  const r = await fetch("api/logs?pid=" + pid + "&n=200", {cache: "no-store"}); const d = await r.json();
  const box = $("#logs"); box.style.display = "block";
  const name = (procs.find(p => p.pid === pid) || {}).name || "";
  box.innerHTML = "<h2>Logs of " + esc(name) + " (pid " + pid + ')</h2>' + (r.ok ? (d.lines || []).map(l => esc(new Date(l.time).toLocaleTimeString() + " " + l.stream + (l.level ? "/" + l.level : "") + "  " + l.text)).join("\n") || "(no lines yet)" : esc(d.error));
}
document.addEventListener("click", (e) => {
  const b = e.target.closest("button[data-act]");
  if (b) { const pid = Number(b.dataset.pid); if (b.dataset.act === "logs") showLogs(pid); else act(b.dataset.act, pid); return; }
  const th = e.target.closest("th[data-k]");
  if (th) { if (sortKey === th.dataset.k) asc = !asc; else { sortKey = th.dataset.k; asc = true; }
    document.querySelectorAll("th").forEach(h => h.classList.remove("sorted", "asc")); th.classList.add("sorted"); if (asc) th.classList.add("asc"); render(); }
});
function ago(t) { if (!t || t.startsWith("0001")) return "-"; const d = (Date.parse(t) - now) * 1e6; return d > 0 ? "in " + dur(d) : dur(-d) + " ago"; }
async function refreshJobs() {
  const [rj, ri] = await Promise.all([fetch("api/jobs", {cache: "no-store"}), fetch("api/installed", {cache: "no-store"})]).catch(() => [null, null]);
  if (!rj || !rj.ok || !ri || !ri.ok) return;
  $("#jobs-section").hidden = false;
  const jobs = (await rj.json()).jobs || [], mods = (await ri.json()).modules || [];
  $("#jobs tbody").innerHTML = jobs.length ? jobs.map(j => "<tr><td>" + esc(j.module) + "</td><td>" + esc(j.trigger) + '</td><td><span class="state ' + esc(j.state) + '">' + esc(j.state) +
    "</span></td><td>" + ago(j.last_run) + "</td><td>" + ago(j.next_run) + '</td><td class="num">' + j.runs + '</td><td class="num">' + j.skips + '</td><td class="num">' + j.restarts +
    "</td><td>" + esc(j.last_exit) + "</td></tr>").join("") : '<tr><td colspan="9" class="empty">No module has triggers.</td></tr>';
  $("#installed tbody").innerHTML = mods.length ? mods.map(m => "<tr><td>" + esc(m.name) + "</td><td>" + esc(m.version) + "</td><td>" + esc(m.kind) + "</td><td>" + esc(m.description) +
    '</td><td><button data-start="' + esc(m.name) + '"' + (m.running ? " disabled title=\"running\"" : "") + ">Start</button></td></tr>").join("") : '<tr><td colspan="5" class="empty">Nothing installed.</td></tr>';
}
async function start(name) {
  const r = await fetch("api/start", {method: "POST", headers: {"Content-Type": "application/json", "X-Orbital-CSRF": csrf}, body: JSON.stringify({name: name})});
  const d = await r.json().catch(() => ({}));
  $("#msg").textContent = r.ok ? "" : (d.error || ("HTTP " + r.status));
  refresh(); refreshJobs();
}
document.addEventListener("click", (e) => { const b = e.target.closest("button[data-start]"); if (b) start(b.dataset.start); });
async function refreshNodes() {
  const r = await fetch("api/nodes", {cache: "no-store"}).catch(() => null);
  if (!r || !r.ok) return;
  const nodes = (await r.json()).nodes || [];
  selfNode = (nodes.find(n => n.self) || {}).name || "";
  document.body.classList.add("clustered"); $("#nodes-section").hidden = false;
  $("#nodes tbody").innerHTML = nodes.map(n => "<tr><td>" + esc(n.name) + (n.self ? " *" : "") + '</td><td><span class="state ' + esc(n.state) + '">' + esc(n.state) + "</span></td><td>" + esc(n.addr) +
    '</td><td class="num">' + (n.state === "up" ? dur(n.uptime_ms * 1e6) : "-") + '</td><td class="num">' + n.cores + '</td><td class="num">' + bytes(n.mem_free) + " / " + bytes(n.mem_total) +
    '</td><td class="num">' + n.procs + "</td><td>" + esc((n.drivers || []).join(", ")) + "</td><td>" + ago(n.last_seen) + "</td></tr>").join("");
}
refresh(); refreshJobs(); refreshNodes(); setInterval(refresh, 1000); setInterval(refreshJobs, 1000); setInterval(refreshNodes, 1000);
</script>
</body>
</html>
`
