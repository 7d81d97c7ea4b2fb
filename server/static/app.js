// coalition-kg query page: saved queries, the editor, results as a table or a timeline.
// Plain JavaScript with no dependencies; everything it needs comes from this server.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  // How the server links and names a term (linked_data.TERM_RULES: the base, the local roots, the linkable
  // pattern and the prefix table of coalition_kg/namespaces.py), so that this script keeps no copy.
  const rules = JSON.parse(document.getElementById("term-rules").textContent);
  const BASE = rules.base;
  const LOCAL_ROOTS = rules.localRoots;
  const PREFIXES = rules.prefixes;
  const XSD = PREFIXES.xsd;
  // The server's formats (formats.py): the download links offer each; the page reads results as JSON
  // and shows a graph as Turtle.
  const RESULT_FORMATS = data.formats.results;
  const GRAPH_FORMATS = data.formats.graph;
  const JSON_RESULTS = RESULT_FORMATS.find((format) => format.name === "json");
  const TURTLE = GRAPH_FORMATS.find((format) => format.name === "turtle");
  const ARABIC = /[\u0600-\u06FF]/;

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null) node.setAttribute(key, value);
    }
    for (const child of children) node.append(child);
    return node;
  };
  const SVG_NS = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs, ...children) => {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children) node.append(child);
    return node;
  };

  // A link made from the data may only be http(s): a query can make any IRI, IRI("javascript:…")
  // included. Browsers drop tabs and newlines inside a URL, so no control character or space either.
  // The whole IRI must match (as Python's fullmatch); "i" folds ASCII letters only, as the server's re.ASCII.
  const LINKABLE = new RegExp("^(?:" + rules.linkable + ")$", "i");

  // Where a page for this IRI is: here for the graph's own resources (they live under w3id.org), the
  // IRI itself for other http(s) IRIs, and null (shown as text, not linked) for anything else.
  function localHref(iri) {
    if (iri.startsWith(BASE)) {
      const rest = iri.slice(BASE.length);
      if (LOCAL_ROOTS.some((root) => rest.startsWith(root))) return "/" + rest;
    }
    return LINKABLE.test(iri) ? iri : null;
  }
  function compact(iri) {
    let best = null;
    for (const [prefix, ns] of Object.entries(PREFIXES)) {
      if (iri.startsWith(ns) && (!best || ns.length > PREFIXES[best].length)) best = prefix;
    }
    return best ? best + ":" + iri.slice(PREFIXES[best].length) : iri;
  }

  // The seed articles are files named NNN_<16 hex digits>.txt (their dcterms:identifier), and each has
  // its page at /article/NNN_<hex>: a source given by its file name links there, and only a name of
  // exactly that shape does (the server's pattern, linked_data.ARTICLE_FILE), so a literal can never
  // become a link anywhere else.
  const ARTICLE_FILE = new RegExp("^(?:" + rules.articleFile + ")$");
  // Longer text than this is clamped to a few lines in a table (the whole of it on hover, or on click).
  const CLAMP_AT = 90;

  function termNode(term, labelHref) {
    if (!term) return "";
    if (term.type === "uri") {
      const href = localHref(term.value);
      return href ? el("a", { href, title: term.value }, compact(term.value))
        : el("span", { class: "iri", dir: "auto", title: term.value }, compact(term.value));
    }
    if (term.type === "bnode") return "_:" + term.value;
    if (term.type === "triple") {
      return el("span", {}, "<< ", termNode(term.value.subject), " ", termNode(term.value.predicate), " ",
        termNode(term.value.object), " >>");
    }
    const lang = term["xml:lang"];
    const rtl = (lang && lang.startsWith("ar")) || ARABIC.test(term.value);
    const long = term.value.length > CLAMP_AT;
    const attrs = { lang: lang || null, dir: rtl ? "rtl" : "auto", class: long ? "clamp" : null,
      title: long ? term.value : (term.datatype ? compact(term.datatype) : null) };
    const article = ARTICLE_FILE.exec(term.value);
    const href = article ? localHref(PREFIXES.article + article[1]) : labelHref;
    if (href) return el("a", { ...attrs, href }, term.value);
    // Clamped text opens from the keyboard as well as by a click.
    return el("span", long ? { ...attrs, tabindex: "0", "aria-expanded": "false" } : attrs, term.value);
  }

  // A label column links to the resource it labels: X_en or X_ar to the IRI in column X, and a bare
  // label_en, name_en (…) to the row's first IRI, the thing the row is about.
  function labelTargets(vars, rows) {
    const iriVars = vars.filter((v) => rows.some((r) => r[v] && r[v].type === "uri"));
    const targets = {};
    for (const v of vars) {
      const stem = /^(.+)_(en|ar|label)$/.exec(v);
      if (stem && iriVars.includes(stem[1])) targets[v] = stem[1];
      else if (/^(label|name)(_(en|ar))?$/.test(v) && iriVars.length) targets[v] = iriVars[0];
    }
    return targets;
  }

  // --- saved queries ------------------------------------------------------------------------
  const savedByName = Object.fromEntries(data.saved.map((q) => [q.name, q]));
  const select = $("saved-select");
  const editor = $("query-text");
  let current = null; // the saved query the editor shows, while its text is unchanged
  let view = "table"; // the result tab shown
  let pendingTimeline = null; // the last result's events, drawn when the timeline tab first shows

  function showSaved(name) {
    current = savedByName[name] || null;
    $("saved-params").replaceChildren();
    $("saved-description").textContent = current ? current.description : "";
    if (!current) return;
    editor.value = current.sparql;
    for (const param of current.params) {
      const input = el("input", { name: param.name, value: param.default || "", title: param.description,
        "data-param": param.name, placeholder: param.kind });
      $("saved-params").append(el("label", {}, param.name + " ", input));
    }
  }
  select.addEventListener("change", () => showSaved(select.value));
  editor.addEventListener("input", () => {
    if (current && editor.value !== current.sparql) {
      current = null;
      select.value = "";
      $("saved-params").replaceChildren();
      $("saved-description").textContent = "";
    }
  });
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    } else if (event.key === "Tab" && !event.shiftKey) {
      event.preventDefault(); // indent instead of leaving the editor
      const start = editor.selectionStart;
      editor.setRangeText("  ", start, editor.selectionEnd, "end");
    }
  });

  // Where the query in the editor can be fetched, in a given format.
  function queryUrl(format) {
    if (current) {
      const params = new URLSearchParams();
      for (const input of document.querySelectorAll("[data-param]")) {
        if (input.value) params.set(input.dataset.param, input.value);
      }
      params.set("format", format);
      return current.url + "?" + params.toString();
    }
    return "/sparql?" + new URLSearchParams({ query: editor.value, format }).toString();
  }

  function isGraphQuery(text) {
    // The first query-form keyword outside comments, strings and IRIs decides it (like the server's guard).
    const stripped = text.replace(/#[^\n]*/g, " ").replace(/"[^"\n]*"|'[^'\n]*'|<[^<>\s]*>/g, " ");
    const form = /\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b/i.exec(stripped);
    return !!form && /^(CONSTRUCT|DESCRIBE)$/i.test(form[1]);
  }

  // --- running --------------------------------------------------------------------------------
  async function run() {
    const text = editor.value.trim();
    if (!text) return;
    const graph = isGraphQuery(text);
    const status = $("status");
    status.textContent = "Running…";
    $("run-button").disabled = true;
    const started = performance.now();
    try {
      let response;
      if (current) {
        response = await fetch(queryUrl((graph ? TURTLE : JSON_RESULTS).name));
      } else {
        response = await fetch("/sparql", {
          method: "POST",
          headers: { "Content-Type": "application/sparql-query",
            Accept: (graph ? TURTLE : JSON_RESULTS).mediaType },
          body: text,
        });
      }
      const body = await response.text();
      const elapsed = Math.round(performance.now() - started);
      if (!response.ok) {
        status.textContent = body.trim();
        status.className = "error";
        return;
      }
      status.className = "muted";
      const truncated = response.headers.get("Result-Truncated") === "true";
      const rows = response.headers.get("Result-Rows");
      status.textContent = `${rows} ${graph ? "triples" : "rows"} in ${elapsed} ms`;
      showResults(graph ? null : JSON.parse(body), graph ? body : null, truncated, response.headers.get("Result-Row-Limit"));
      showDownloads(graph);
      rememberInUrl();
    } catch (error) {
      status.textContent = "The request failed: " + error.message;
      status.className = "error";
    } finally {
      $("run-button").disabled = false;
    }
  }
  $("query-form").addEventListener("submit", (event) => { event.preventDefault(); run(); });

  // The address bar holds what was run (a saved query's name and parameters, or the text written), and
  // the tab shown, so that the address can be shared and a reload shows the same result.
  function rememberInUrl() {
    const params = new URLSearchParams();
    if (current) {
      params.set("saved", current.name);
      for (const input of document.querySelectorAll("[data-param]")) {
        if (input.value) params.set(input.dataset.param, input.value);
      }
    } else if (editor.value.trim()) {
      params.set("query", editor.value);
    }
    if (view === "timeline") params.set("view", "timeline");
    const address = "/?" + params.toString();
    if (location.pathname + location.search !== address) history.replaceState(null, "", address);
  }

  function showDownloads(graph) {
    const names = (graph ? GRAPH_FORMATS : RESULT_FORMATS).map((format) => format.name);
    $("downloads").replaceChildren("Download: ", ...names.flatMap((name) => [el("a", { href: queryUrl(name), download: "" }, name), " "]));
  }

  function showResults(json, graphText, truncated, limit) {
    $("results").hidden = false;
    const notice = $("truncated-notice");
    notice.hidden = !truncated;
    notice.textContent = truncated ? `Only the first ${limit} rows came back: the answer was cut at the server's row limit.` : "";
    $("result-graph").hidden = graphText === null;
    $("result-graph").textContent = graphText || "";
    $("result-table").replaceChildren();
    $("result-timeline").replaceChildren();
    const timelineTab = $("tab-timeline");
    timelineTab.disabled = true;
    pendingTimeline = null;
    if (json === null) { selectTab("table"); return; }
    if (typeof json.boolean === "boolean") {
      $("result-table").append(el("p", { class: "boolean" }, json.boolean ? "yes (true)" : "no (false)"));
      selectTab("table");
      return;
    }
    const vars = json.head.vars;
    const rows = json.results.bindings;
    const targets = labelTargets(vars, rows);
    const labelHref = (row, v) => {
      const iri = targets[v] && row[targets[v]];
      return iri && iri.type === "uri" ? localHref(iri.value) : null;
    };
    const table = el("table", { class: "results-table" },
      el("thead", {}, el("tr", {}, ...vars.map((v) => el("th", { scope: "col" }, v)))),
      el("tbody", {}, ...rows.map((row) => el("tr", {}, ...vars.map((v) => {
        const term = row[v];
        const rtl = term && term.type === "literal" &&
          ((term["xml:lang"] || "").startsWith("ar") || ARABIC.test(term.value));
        return el("td", { dir: rtl ? "rtl" : null }, termNode(term, labelHref(row, v)));
      })))));
    $("result-table").append(table);
    pendingTimeline = timelineEvents(vars, rows);
    timelineTab.disabled = !pendingTimeline.length;
    selectTab(view === "timeline" && pendingTimeline.length ? "timeline" : "table");
  }

  // A clamped cell opens on a click, or Enter or Space when focused (a clamped link goes where it points).
  function toggleClamp(event) {
    const clamped = event.target.closest("span.clamp");
    if (!clamped) return;
    if (event.type === "keydown") {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
    }
    clamped.setAttribute("aria-expanded", String(clamped.classList.toggle("open")));
  }
  $("result-table").addEventListener("click", toggleClamp);
  $("result-table").addEventListener("keydown", toggleClamp);

  function selectTab(which) {
    const table = which === "table";
    $("tab-table").setAttribute("aria-selected", String(table));
    $("tab-timeline").setAttribute("aria-selected", String(!table));
    $("result-table").hidden = !table;
    $("result-timeline").hidden = table;
    view = which;
    // Drawn once it shows: fitting the labels needs their rendered widths.
    if (!table && pendingTimeline) {
      drawTimeline($("result-timeline"), pendingTimeline, []);
      pendingTimeline = null;
    }
  }
  $("tab-table").addEventListener("click", () => { selectTab("table"); rememberInUrl(); });
  $("tab-timeline").addEventListener("click", () => { selectTab("timeline"); rememberInUrl(); });

  // --- the timeline -----------------------------------------------------------------------------
  // Only typed dates make a timeline: a plain number or string that looks like a year (a code-point
  // offset, a count) is not one.
  const DATE_TYPES = ["date", "dateTime", "gYearMonth", "gYear"].map((t) => XSD + t);
  const isDate = (term) => !!term && term.type === "literal" && DATE_TYPES.includes(term.datatype);
  const NUMBER_TYPES = ["integer", "decimal", "double", "float", "int", "long", "short", "nonNegativeInteger",
    "positiveInteger"].map((t) => XSD + t);
  const isNumber = (term) => !!term && term.type === "literal" && NUMBER_TYPES.includes(term.datatype);
  // Numbers that order or locate things rather than measure them are not what a point stands for.
  const NOT_A_MEASURE = /ordinal|rank|order|position|offset|index|start|end/i;
  // How a start was found: what the timeline saved query says in its *_basis column.
  const BASES = { "worked out": "worked-out", "curated": "curated" };

  function parseDate(value, end) {
    // A month or a year stands for its whole span: its start for a start, its last day for an end.
    const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(value);
    if (!m) return null;
    const year = +m[1], month = m[2] ? +m[2] - 1 : (end ? 11 : 0);
    const day = m[3] ? +m[3] : (end ? new Date(Date.UTC(year, month + 1, 0)).getUTCDate() : 1);
    return Date.UTC(year, month, day);
  }

  // Rows with a typed date become events: the first date column is the start, a second one the end,
  // the first IRI column what the event links to. A point is labelled with its number when the rows
  // measure something (a count and its measure), else with its English label; an Arabic literal goes
  // beneath it. A *_basis column says whether the start was stated, worked out or curated, and a
  // *_reasoning column how.
  function timelineEvents(vars, rows) {
    const dateVars = vars.filter((v) => rows.some((r) => isDate(r[v])));
    if (!dateVars.length) return [];
    const startVar = dateVars.find((v) => /start|date|from/i.test(v)) || dateVars[0];
    const endVar = dateVars.find((v) => v !== startVar && /end|to|until/i.test(v));
    const linkVar = vars.find((v) => rows.some((r) => r[v] && r[v].type === "uri"));
    const numberVar = vars.find((v) => !NOT_A_MEASURE.test(v) && rows.some((r) => isNumber(r[v])));
    const literalVars = vars.filter((v) => !dateVars.includes(v) && v !== numberVar &&
      rows.some((r) => r[v] && r[v].type === "literal" && !isNumber(r[v])));
    const english = literalVars.filter((v) => rows.some((r) => r[v] && !ARABIC.test(r[v].value)) &&
      !/basis|reasoning|kind|measure|unit|bound/i.test(v));
    const nameVar = english.find((v) => /label|name|_en$/i.test(v)) || english[0];
    const arVar = literalVars.find((v) => rows.some((r) => r[v] && ARABIC.test(r[v].value)));
    const placeVar = english.find((v) => v !== nameVar && /place|city|location/i.test(v));
    const unitVar = literalVars.find((v) => /measure|unit/i.test(v));
    const basisVar = vars.find((v) => /basis/i.test(v));
    const reasonVar = vars.find((v) => /reasoning|reason/i.test(v));
    const value = (row, v) => (v && row[v] ? row[v].value : null);
    const seen = new Set();
    const events = [];
    for (const row of rows) {
      if (!isDate(row[startVar])) continue;
      const number = value(row, numberVar);
      const name = value(row, nameVar);
      const key = [value(row, linkVar), row[startVar].value, number, name].join("|");
      if (seen.has(key)) continue;
      seen.add(key);
      const start = parseDate(row[startVar].value, false);
      const endTerm = endVar && row[endVar];
      const unit = value(row, unitVar);
      events.push({
        start, end: endTerm ? Math.max(start, parseDate(endTerm.value, true)) : start,
        when: row[startVar].value + (endTerm && endTerm.value !== row[startVar].value ? " – " + endTerm.value : ""),
        number: number !== null ? number + (unit ? " " + unit : "") : null,
        label: name || (linkVar && row[linkVar] ? compact(row[linkVar].value) : (number !== null ? null : row[startVar].value)),
        labelAr: value(row, arVar),
        place: value(row, placeVar),
        iri: linkVar && row[linkVar] && row[linkVar].type === "uri" ? row[linkVar].value : null,
        basis: BASES[value(row, basisVar)] || null,
        basisText: value(row, basisVar),
        reasoning: value(row, reasonVar),
      });
    }
    return events.sort((a, b) => a.start - b.start);
  }

  // Shortens a label's last parts, with an ellipsis, until it fits in the room it has (the whole of it
  // stays in the event's title). It needs the rendered width, so the timeline must be showing.
  function fitText(text, room) {
    if (text.getComputedTextLength() <= room) return;
    const parts = [...text.childNodes].reverse();
    for (const part of parts) {
      const full = part.textContent;
      let low = 0, high = full.length;
      while (low < high) { // the longest prefix that fits
        const mid = Math.ceil((low + high) / 2);
        part.textContent = full.slice(0, mid).trimEnd() + "…";
        if (text.getComputedTextLength() <= room) low = mid; else high = mid - 1;
      }
      part.textContent = low ? full.slice(0, low).trimEnd() + "…" : "";
      if (text.getComputedTextLength() <= room) return;
    }
  }

  // The legend's line, then the years' line, then a row per event.
  const WIDTH = 1000, MARGIN = 24, ROW = 44, LEGEND = 14, YEARS = 36, TOP = 52;

  function drawTimeline(container, events, links) {
    const first = new Date(Math.min(...events.map((e) => e.start))).getUTCFullYear();
    const last = new Date(Math.max(...events.map((e) => e.end))).getUTCFullYear() + 1;
    const height = TOP + events.length * ROW + 16;
    const x0 = Date.UTC(first, 0, 1), x1 = Date.UTC(last, 0, 1);
    const x = (t) => MARGIN + (WIDTH - 2 * MARGIN) * (t - x0) / (x1 - x0);
    const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${height}`, role: "img",
      "aria-label": `Timeline of ${events.length} events, ${first} to ${last - 1}` });
    root.append(svg("defs", {}, svg("marker", { id: "arrow-" + container.id, viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }))));
    const axis = svg("g", { class: "axis" });
    for (let year = first; year <= last; year++) {
      const px = x(Date.UTC(year, 0, 1));
      axis.append(svg("line", { class: "year-line", x1: px, x2: px, y1: TOP - 8, y2: height - 8 }));
      if (year < last) axis.append(svg("text", { x: px + 4, y: YEARS }, String(year)));
    }
    root.append(axis);
    const place = new Map(); // an event's IRI -> where its mark is
    const toFit = [];
    const marks = svg("g", {});
    events.forEach((event, index) => {
      const y = TOP + index * ROW + 14;
      const from = x(event.start), to = Math.max(x(event.end), from);
      if (event.iri && !place.has(event.iri)) place.set(event.iri, { x: from, y });
      const kind = event.basis ? { class: event.basis } : {};
      const mark = to - from > 6
        ? svg("rect", { ...kind, x: from, y: y - 5, width: to - from, height: 10, rx: 4 })
        : svg("circle", { ...kind, cx: from, cy: y, r: 6 });
      // The label goes on the side of the mark with more room, and is shortened to fit that room.
      const leftward = from - MARGIN > WIDTH - MARGIN - to;
      const tx = leftward ? from - 10 : to + 10;
      const room = leftward ? tx - 2 : WIDTH - tx - 2;
      const detail = ` · ${event.number !== null && event.label ? event.label + " · " : ""}${event.when}` +
        `${event.basis ? " (" + event.basisText + ")" : ""}${event.place ? " · " + event.place : ""}`;
      const caption = svg("text", { x: tx, y: y + 4, "text-anchor": leftward ? "end" : "start" },
        event.number !== null ? svg("tspan", { class: "number" }, event.number) : svg("tspan", { class: "name" }, event.label),
        svg("tspan", { class: "detail" }, detail));
      toFit.push([caption, room]);
      let hover = [event.number, event.label].filter((part) => part !== null).join(" · ") + ` (${event.when})`;
      if (event.basis) hover += `\nStart ${event.basisText}${event.reasoning ? ": " + event.reasoning : ""}`;
      if (event.labelAr) hover += "\n" + event.labelAr;
      const group = svg("g", { class: "event" + (event.basis ? " " + event.basis : "") }, svg("title", {}, hover), mark);
      const labels = [caption];
      if (event.labelAr) {
        // In right-to-left text "start" is the right edge, so the anchor flips to keep the same side.
        const arabic = svg("text", { class: "ar", x: tx, y: y + 20, "text-anchor": leftward ? "start" : "end",
          direction: "rtl", lang: "ar", "unicode-bidi": "embed" }, svg("tspan", {}, event.labelAr));
        labels.push(arabic);
        toFit.push([arabic, room]);
      }
      const href = event.iri ? localHref(event.iri) : null;
      if (href) {
        const link = svg("a", { href });
        link.append(...labels);
        group.append(link);
      } else {
        group.append(...labels);
      }
      marks.append(group);
    });
    // Which meeting builds on which: an arc from the earlier mark to the later one, beneath the marks.
    const arcs = svg("g", { class: "links" });
    for (const link of links) {
      const a = place.get(link.earlier), b = place.get(link.later);
      if (!a || !b) continue;
      const bend = Math.min(60, Math.abs(b.y - a.y) / 2 + 10);
      arcs.append(svg("path", { class: "builds-on", d: `M${a.x},${a.y + 6} C${a.x - bend},${a.y + bend} ${b.x - bend},${b.y - bend} ${b.x - 7},${b.y - 3}`,
        "marker-end": `url(#arrow-${container.id})` }, svg("title", {}, link.text)));
    }
    root.append(arcs, marks);
    container.replaceChildren(root);
    const kinds = new Set(events.map((e) => e.basis).filter(Boolean));
    if (kinds.size || arcs.childNodes.length) drawLegend(root, kinds, arcs.childNodes.length > 0, container.id);
    for (const [text, room] of toFit) fitText(text, room);
  }

  // The key to the marks, on the top line, when some starts are not stated or links are drawn. It is
  // laid out once in the page, where the words' widths can be measured.
  function drawLegend(root, kinds, withLinks, id) {
    const items = [["", "stated date"], ...[...kinds].map((k) => [k, k === "curated" ? "date curated (from an outside source)" : "date worked out"])];
    if (withLinks) items.push(["builds-on", "builds on"]);
    const group = svg("g", { class: "legend" });
    root.append(group);
    let tx = MARGIN + 6;
    for (const [kind, words] of items) {
      group.append(kind === "builds-on"
        ? svg("path", { class: "builds-on", d: `M${tx - 6},${LEGEND + 4} L${tx + 6},${LEGEND - 2}`, "marker-end": `url(#arrow-${id})` })
        : svg("circle", { class: kind, cx: tx, cy: LEGEND, r: 5 }));
      const text = svg("text", { x: tx + 10, y: LEGEND + 4 }, words);
      group.append(text);
      tx += 10 + text.getComputedTextLength() + 28;
    }
  }

  // The links of the from-to chain saved query, as arcs between meetings on the timeline. A link
  // through something not on it (a plenary of a group, the group launched at a meeting) joins the two
  // meetings it connects, and says how.
  function buildsOnLinks(json) {
    const rows = json.results.bindings.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.value])));
    const links = [];
    for (const row of rows) {
      if (row.later_date && row.earlier_date) {
        links.push({ later: row.later, earlier: row.earlier, text: `${row.later_en} ${row.link} ${row.earlier_en}` });
        continue;
      }
      if (!row.later_date) continue; // a link from a group is followed from the meeting that leads to it
      for (const next of rows) {
        if (next.later === row.earlier && next.earlier_date && !next.later_date) {
          links.push({ later: row.later, earlier: next.earlier,
            text: `${row.later_en} ${row.link} ${row.earlier_en}, ${next.link} ${next.earlier_en}` });
        }
      }
    }
    return links;
  }

  async function fetchJson(url, query) {
    const response = query === undefined ? await fetch(url) : await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query", Accept: JSON_RESULTS.mediaType },
      body: query,
    });
    if (!response.ok) throw new Error((await response.text()).trim());
    return response.json();
  }

  // The timeline saved query when the server offers it (it says how each start is known), else the
  // page's own query; and the arcs of the chain saved query when it is offered.
  const TIMELINE_QUERY = "timeline", CHAIN_QUERY = "skhirat-to-riyadh";

  async function loadMeetingsTimeline() {
    const container = $("meetings-timeline");
    try {
      const json = savedByName[TIMELINE_QUERY]
        ? await fetchJson(savedByName[TIMELINE_QUERY].url + "?format=json")
        : await fetchJson("/sparql", container.dataset.query);
      const events = timelineEvents(json.head.vars, json.results.bindings);
      if (!events.length) {
        container.replaceChildren(el("p", { class: "muted" }, "The graph has no dated meetings."));
        return;
      }
      let links = [];
      if (savedByName[CHAIN_QUERY]) {
        try {
          links = buildsOnLinks(await fetchJson(savedByName[CHAIN_QUERY].url + "?format=json"));
        } catch (error) {
          links = []; // the meetings are still worth showing without their links
        }
      }
      drawTimeline(container, events, links);
    } catch (error) {
      container.replaceChildren(el("p", { class: "error" }, "The timeline could not be loaded: " + error.message));
    }
  }

  // --- what the address asks for ----------------------------------------------------------------
  loadMeetingsTimeline();
  const asked = new URLSearchParams(location.search);
  view = asked.get("view") === "timeline" ? "timeline" : "table";
  if (data.initialSaved && savedByName[data.initialSaved]) {
    select.value = data.initialSaved;
    showSaved(data.initialSaved);
    for (const input of document.querySelectorAll("[data-param]")) {
      if (asked.has(input.dataset.param)) input.value = asked.get(input.dataset.param);
    }
    run();
  } else if (editor.value.trim()) {
    run();
  } else if (data.saved.length) {
    select.value = data.saved[0].name;
    showSaved(data.saved[0].name);
  } else {
    editor.value = "PREFIX rdfs: <" + PREFIXES.rdfs + ">\nSELECT ?entity ?label WHERE {\n  ?entity rdfs:label ?label\n} LIMIT 20";
  }
})();
