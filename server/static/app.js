// coalition-kg query page: saved queries, the editor, results as a table or a timeline.
// Plain JavaScript with no dependencies; everything it needs comes from this server.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const BASE = data.base;
  const LOCAL_ROOTS = ["id/", "article/", "graph/", "ontology"]; // as linked_data.LOCAL_ROOTS
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const PREFIXES = {
    "ckg:": BASE + "ontology#", "id:": BASE + "id/", "article:": BASE + "article/", "graph:": BASE + "graph/",
    "rdf:": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs:": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd:": XSD, "schema:": "http://schema.org/", "skos:": "http://www.w3.org/2004/02/skos/core#",
    "oa:": "http://www.w3.org/ns/oa#", "prov:": "http://www.w3.org/ns/prov#", "org:": "http://www.w3.org/ns/org#",
    "owl:": "http://www.w3.org/2002/07/owl#", "dcterms:": "http://purl.org/dc/terms/",
  };
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
  const LINKABLE = /^https?:\/\/[^\u0000-\u0020\u007f]*$/i;

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
    return best ? best + iri.slice(PREFIXES[best].length) : iri;
  }

  function termNode(term) {
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
    return el("span", { lang: lang || null, dir: rtl ? "rtl" : "auto", title: term.datatype ? compact(term.datatype) : null },
      term.value);
  }

  // --- saved queries ------------------------------------------------------------------------
  const savedByName = Object.fromEntries(data.saved.map((q) => [q.name, q]));
  const select = $("saved-select");
  const editor = $("query-text");
  let current = null; // the saved query the editor shows, while its text is unchanged

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
        response = await fetch(queryUrl(graph ? "turtle" : "json"));
      } else {
        response = await fetch("/sparql", {
          method: "POST",
          headers: { "Content-Type": "application/sparql-query",
            Accept: graph ? "text/turtle" : "application/sparql-results+json" },
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
    } catch (error) {
      status.textContent = "The request failed: " + error.message;
      status.className = "error";
    } finally {
      $("run-button").disabled = false;
    }
  }
  $("query-form").addEventListener("submit", (event) => { event.preventDefault(); run(); });

  function showDownloads(graph) {
    const names = graph ? ["turtle", "ntriples", "jsonld", "rdfxml", "trig", "nquads"] : ["json", "xml", "csv", "tsv"];
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
    if (json === null) { selectTab("table"); return; }
    if (typeof json.boolean === "boolean") {
      $("result-table").append(el("p", { class: "boolean" }, json.boolean ? "yes (true)" : "no (false)"));
      selectTab("table");
      return;
    }
    const vars = json.head.vars;
    const rows = json.results.bindings;
    const table = el("table", { class: "results-table" },
      el("thead", {}, el("tr", {}, ...vars.map((v) => el("th", { scope: "col" }, v)))),
      el("tbody", {}, ...rows.map((row) => el("tr", {}, ...vars.map((v) => {
        const term = row[v];
        const rtl = term && term.type === "literal" &&
          ((term["xml:lang"] || "").startsWith("ar") || ARABIC.test(term.value));
        return el("td", { dir: rtl ? "rtl" : null }, termNode(term));
      })))));
    $("result-table").append(table);
    const events = timelineEvents(vars, rows);
    if (events.length) {
      timelineTab.disabled = false;
      drawTimeline($("result-timeline"), events);
    }
    selectTab("table");
  }

  function selectTab(which) {
    const table = which === "table";
    $("tab-table").setAttribute("aria-selected", String(table));
    $("tab-timeline").setAttribute("aria-selected", String(!table));
    $("result-table").hidden = !table;
    $("result-timeline").hidden = table;
  }
  $("tab-table").addEventListener("click", () => selectTab("table"));
  $("tab-timeline").addEventListener("click", () => selectTab("timeline"));

  // --- the timeline -----------------------------------------------------------------------------
  const DATE_TYPES = ["date", "dateTime", "gYearMonth", "gYear"].map((t) => XSD + t);
  const isDate = (term) => term && term.type === "literal" &&
    (DATE_TYPES.includes(term.datatype) || /^\d{4}(-\d{2}){0,2}$/.test(term.value));

  function parseDate(value, end) {
    // A month or a year stands for its whole span: its start for a start, its last day for an end.
    const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(value);
    if (!m) return null;
    const year = +m[1], month = m[2] ? +m[2] - 1 : (end ? 11 : 0);
    const day = m[3] ? +m[3] : (end ? new Date(Date.UTC(year, month + 1, 0)).getUTCDate() : 1);
    return Date.UTC(year, month, day);
  }

  // Rows with a date become events: the first date column is the start, a second one the end,
  // the first IRI column what the event links to, the first plain literal its label.
  function timelineEvents(vars, rows) {
    const dateVars = vars.filter((v) => rows.some((r) => isDate(r[v])));
    if (!dateVars.length) return [];
    const startVar = dateVars.find((v) => /start|date|from/i.test(v)) || dateVars[0];
    const endVar = dateVars.find((v) => v !== startVar && /end|to|until/i.test(v));
    const linkVar = vars.find((v) => rows.some((r) => r[v] && r[v].type === "uri"));
    const labelVars = vars.filter((v) => !dateVars.includes(v) && rows.some((r) => r[v] && r[v].type === "literal"));
    const enVar = labelVars.find((v) => rows.some((r) => r[v] && !ARABIC.test(r[v].value)));
    const arVar = labelVars.find((v) => v !== enVar && rows.some((r) => r[v] && ARABIC.test(r[v].value)));
    const placeVar = labelVars.find((v) => /place|city|location/i.test(v));
    const seen = new Set();
    const events = [];
    for (const row of rows) {
      if (!isDate(row[startVar])) continue;
      const key = (linkVar && row[linkVar] ? row[linkVar].value : "") + "|" + row[startVar].value;
      if (seen.has(key)) continue;
      seen.add(key);
      const start = parseDate(row[startVar].value, false);
      const endTerm = endVar && row[endVar];
      events.push({
        start, end: endTerm ? Math.max(start, parseDate(endTerm.value, true)) : start,
        when: row[startVar].value + (endTerm && endTerm.value !== row[startVar].value ? " – " + endTerm.value : ""),
        label: (enVar && row[enVar] && row[enVar].value) || (linkVar && row[linkVar] ? compact(row[linkVar].value) : row[startVar].value),
        labelAr: arVar && row[arVar] ? row[arVar].value : null,
        place: placeVar && placeVar !== enVar && row[placeVar] ? row[placeVar].value : null,
        href: linkVar && row[linkVar] && row[linkVar].type === "uri" ? localHref(row[linkVar].value) : null,
      });
    }
    return events.sort((a, b) => a.start - b.start);
  }

  function drawTimeline(container, events) {
    const first = new Date(Math.min(...events.map((e) => e.start))).getUTCFullYear();
    const last = new Date(Math.max(...events.map((e) => e.end))).getUTCFullYear() + 1;
    const width = 1000, left = 30, right = 30, rowHeight = 44, top = 34;
    const height = top + events.length * rowHeight + 16;
    const x0 = Date.UTC(first, 0, 1), x1 = Date.UTC(last, 0, 1);
    const x = (t) => left + (width - left - right) * (t - x0) / (x1 - x0);
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-label": `Timeline of ${events.length} events, ${first} to ${last - 1}` });
    const axis = svg("g", { class: "axis" });
    for (let year = first; year <= last; year++) {
      const px = x(Date.UTC(year, 0, 1));
      axis.append(svg("line", { class: "year-line", x1: px, x2: px, y1: top - 8, y2: height - 8 }));
      if (year < last) axis.append(svg("text", { x: px + 4, y: 18 }, String(year)));
    }
    root.append(axis);
    events.forEach((event, index) => {
      const y = top + index * rowHeight + 14;
      const from = x(event.start), to = Math.max(x(event.end), from);
      const mark = to - from > 6
        ? svg("rect", { x: from, y: y - 5, width: to - from, height: 10, rx: 4 })
        : svg("circle", { cx: from, cy: y, r: 6 });
  
      // Labels go right of the mark, or left of it in the right half, so that they stay inside.
      const anchorEnd = from > width * 0.5;
      const tx = anchorEnd ? from - 10 : to + 10;
      const anchor = anchorEnd ? "end" : "start";
      const caption = svg("text", { x: tx, y: y + 4, "text-anchor": anchor },
        `${event.label}`, svg("tspan", { fill: "#5d6878" }, ` · ${event.when}${event.place ? " · " + event.place : ""}`));
      const group = svg("g", { class: "event" }, svg("title", {}, `${event.label} (${event.when})`), mark);
      const labels = [caption];
      if (event.labelAr) {
        // In right-to-left text "start" is the right edge, so the anchor flips to keep the same side.
        labels.push(svg("text", { class: "ar", x: tx, y: y + 20, "text-anchor": anchorEnd ? "start" : "end",
          direction: "rtl", lang: "ar", "unicode-bidi": "embed" }, event.labelAr));
      }
      if (event.href) {
        const link = svg("a", { href: event.href });
        link.append(...labels);
        group.append(link);
      } else {
        group.append(...labels);
      }
      root.append(group);
    });
    container.replaceChildren(root);
  }

  async function loadMeetingsTimeline() {
    const container = $("meetings-timeline");
    try {
      const response = await fetch("/sparql", {
        method: "POST",
        headers: { "Content-Type": "application/sparql-query", Accept: "application/sparql-results+json" },
        body: container.dataset.query,
      });
      if (!response.ok) throw new Error((await response.text()).trim());
      const json = await response.json();
      const events = timelineEvents(json.head.vars, json.results.bindings);
      if (!events.length) {
        container.replaceChildren(el("p", { class: "muted" }, "The graph has no dated meetings."));
        return;
      }
      drawTimeline(container, events);
    } catch (error) {
      container.replaceChildren(el("p", { class: "error" }, "The timeline could not be loaded: " + error.message));
    }
  }

  loadMeetingsTimeline();
  if (data.initialSaved && savedByName[data.initialSaved]) {
    select.value = data.initialSaved;
    showSaved(data.initialSaved);
    run();
  } else if (editor.value.trim()) {
    run();
  } else if (data.saved.length) {
    select.value = data.saved[0].name;
    showSaved(data.saved[0].name);
  } else {
    editor.value = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?entity ?label WHERE {\n  ?entity rdfs:label ?label\n} LIMIT 20";
  }
})();
