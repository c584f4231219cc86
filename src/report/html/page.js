"use strict";
// The flagctl dashboard: draws report.json (embedded below the page) as tables and SVG charts.
// Every text from the data goes through text nodes or attributes, never through HTML parsing.
(function () {
  var data = JSON.parse(document.getElementById("flagctl-data").textContent);
  var app = document.getElementById("app");
  var SVG = "http://www.w3.org/2000/svg";
  var envs = data.environments.map(function (e) { return e.name; });

  function put(node, children) {
    children.forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      if (Array.isArray(c)) { put(node, c); return; }
      node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    });
    return node;
  }
  function attrs(node, a) {
    Object.keys(a || {}).forEach(function (k) {
      var v = a[k];
      if (v === null || v === undefined || v === false) return;
      if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
      else node.setAttribute(k === "className" ? "class" : k, v === true ? "" : String(v));
    });
    return node;
  }
  function el(tag, a) {
    return put(attrs(document.createElement(tag), a), [].slice.call(arguments, 2));
  }
  function sv(tag, a) {
    return put(attrs(document.createElementNS(SVG, tag), a), [].slice.call(arguments, 2));
  }
  function hours(h) {
    if (h === null || h === undefined) return "\u2014";
    if (h < 1) return Math.round(h * 60) + " min";
    if (h < 48) return (Math.round(h * 10) / 10) + " h";
    return (Math.round(h / 2.4) / 10) + " d";
  }
  function day(t) { return t ? String(t).slice(0, 10) : "\u2014"; }
  function healthClass(h) { return h >= 80 ? "h-good" : h >= 50 ? "h-warn" : "h-bad"; }
  function rank(sev) { return { error: 3, warning: 2, info: 1 }[sev] || 0; }
  function section(id, title) {
    var s = el("section", { id: id, "aria-labelledby": id + "-title" }, el("h2", { id: id + "-title" }, title));
    app.appendChild(s);
    return s;
  }

  // ---- summary -------------------------------------------------------------------------------
  var sum = data.summary;
  var cards = [
    [sum.flags, "flags"], [sum.environments, "environments"], [sum.average_health, "average health"],
    [sum.drifting, "drifting"], [sum.stale, "stale"], [sum.errors, "errors"], [sum.warnings, "warnings"],
    [sum.commits, "commits read"]
  ];
  if (data.tests) {
    cards.push([data.tests.readable ? data.tests.failed : "?", "failing tests"]);
  }
  var summary = section("summary", "Summary");
  summary.appendChild(el("div", { className: "cards" }, cards.map(function (c) {
    return el("div", { className: "card" }, el("span", { className: "n" }, c[0]), el("span", { className: "l" }, c[1]));
  })));
  if (data.tests) {
    var t = data.tests;
    summary.appendChild(el("p", { className: "muted" }, t.readable
      ? "Recorded flag tests (commit " + t.commit.slice(0, 12) + (t.commits_behind ? ", " + t.commits_behind + " commits before HEAD" : "") + "): " + t.passed + " passed, " + t.failed + " failed."
      : "Recorded flag tests at commit " + t.commit.slice(0, 12) + " could not be read."));
  }
  summary.appendChild(el("nav", { className: "toc", "aria-label": "Sections" },
    [["flags", "Flags"], ["lag", "Propagation lag"], ["toggles", "Toggles"], ["stale", "Stale flags"],
     ["owners", "Owners"], ["changes", "Last changes"]].map(function (s) {
      return el("a", { href: "#" + s[0] + "-title" }, s[1]);
    })));

  // ---- a sortable table ------------------------------------------------------------------------
  // columns: {label, key(row) -> sort value, cell(row) -> node|text, num, narrow}
  function sortable(columns, rows, caption, extra) {
    var tbody = el("tbody");
    var items = rows.map(function (row, i) {
      var tr = el("tr", extra && extra.attrs ? extra.attrs(row) : null, columns.map(function (c) {
        return el("td", { className: (c.num ? "num " : "") + (c.narrow ? "hide-narrow" : "") }, c.cell(row));
      }));
      var follow = extra && extra.follow ? extra.follow(row, tr) : null;
      return { row: row, tr: tr, follow: follow, i: i };
    });
    var heads = columns.map(function (c, ci) {
      var th = el("th", { scope: "col", className: (c.num ? "num " : "") + (c.narrow ? "hide-narrow" : "") });
      th.appendChild(el("button", { type: "button", onclick: function () { sortBy(ci); } }, c.label));
      return th;
    });
    var state = { col: -1, dir: 1 };
    function sortBy(ci) {
      state.dir = state.col === ci ? -state.dir : (columns[ci].num ? -1 : 1);
      state.col = ci;
      heads.forEach(function (h, i) {
        if (i === ci) h.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
        else h.removeAttribute("aria-sort");
      });
      var key = columns[ci].key;
      items.sort(function (a, b) {
        var x = key(a.row), y = key(b.row);
        var o = (x < y ? -1 : x > y ? 1 : 0) * state.dir;
        return o || a.i - b.i;
      });
      items.forEach(function (it) { tbody.appendChild(it.tr); if (it.follow) tbody.appendChild(it.follow); });
    }
    items.forEach(function (it) { tbody.appendChild(it.tr); if (it.follow) tbody.appendChild(it.follow); });
    var table = el("table", null, el("caption", { className: "sr" }, caption),
      el("thead", null, el("tr", null, heads)), tbody);
    return { node: el("div", { className: "scroll" }, table), items: items, table: table };
  }

  // ---- charts (hand-drawn SVG) -----------------------------------------------------------------
  var palette = ["var(--s1)", "var(--s2)", "var(--s3)", "var(--s4)", "var(--s5)"];
  function legend(series) {
    return el("div", { className: "legend" }, series.map(function (s, i) {
      return el("span", null, el("i", { style: "background:" + palette[i % palette.length] }), s.label);
    }));
  }
  function axisLabels(g, months, W, H, pad) {
    var step = Math.max(1, Math.ceil(months.length / 6));
    months.forEach(function (m, i) {
      if (i % step) return;
      var x = pad + (months.length > 1 ? i * (W - 2 * pad) / (months.length - 1) : (W - 2 * pad) / 2);
      g.appendChild(sv("text", { x: x, y: H - 2, "text-anchor": "middle" }, m));
    });
  }
  // Stacked bars: series [{label, values[]}] over months.
  function bars(title, months, series) {
    var W = 320, H = 140, pad = 22, top = 10, bottom = 16;
    var totals = months.map(function (_, i) {
      return series.reduce(function (s, x) { return s + (x.values[i] || 0); }, 0);
    });
    var max = Math.max(1, Math.max.apply(null, totals.concat([0])));
    var g = sv("svg", { viewBox: "0 0 " + W + " " + H, role: "img",
      "aria-label": title + ": " + totals.reduce(function (a, b) { return a + b; }, 0) + " in " + months.length + " months" });
    g.appendChild(sv("title", null, title));
    g.appendChild(sv("line", { x1: pad, x2: W - pad, y1: H - bottom, y2: H - bottom, className: "axis" }));
    g.appendChild(sv("text", { x: 2, y: top + 4 }, String(max)));
    var bw = (W - 2 * pad) / Math.max(1, months.length);
    months.forEach(function (m, i) {
      var y = H - bottom;
      series.forEach(function (s, si) {
        var v = s.values[i] || 0;
        if (!v) return;
        var h = v / max * (H - bottom - top);
        y -= h;
        g.appendChild(sv("rect", { x: pad + i * bw + 1, y: y, width: Math.max(1, bw - 2), height: h,
          fill: palette[si % palette.length] }, sv("title", null, m + " " + s.label + ": " + v)));
      });
    });
    var labels = sv("g");
    var stepL = Math.max(1, Math.ceil(months.length / 6));
    months.forEach(function (m, i) {
      if (i % stepL) return;
      labels.appendChild(sv("text", { x: pad + i * bw + bw / 2, y: H - 2, "text-anchor": "middle" }, m));
    });
    g.appendChild(labels);
    return el("figure", null, el("figcaption", null, title), g, legend(series));
  }
  // Lines: series [{label, values[] (null: no point)}] over months.
  function lines(title, months, series, unit) {
    var W = 320, H = 140, pad = 22, top = 10, bottom = 16;
    var all = [];
    series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null) all.push(v); }); });
    var max = Math.max(1, Math.max.apply(null, all.concat([0])));
    var g = sv("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": title });
    g.appendChild(sv("title", null, title));
    g.appendChild(sv("line", { x1: pad, x2: W - pad, y1: H - bottom, y2: H - bottom, className: "axis" }));
    g.appendChild(sv("text", { x: 2, y: top + 4 }, unit(max)));
    var xs = function (i) {
      return pad + (months.length > 1 ? i * (W - 2 * pad) / (months.length - 1) : (W - 2 * pad) / 2);
    };
    series.forEach(function (s, si) {
      var d = "";
      s.values.forEach(function (v, i) {
        if (v === null) return;
        var y = H - bottom - v / max * (H - bottom - top);
        d += (d ? " L" : "M") + xs(i).toFixed(1) + " " + y.toFixed(1);
        g.appendChild(sv("circle", { cx: xs(i), cy: y, r: 2.5, fill: palette[si % palette.length] },
          sv("title", null, months[i] + " " + s.label + ": " + unit(v))));
      });
      if (d) g.appendChild(sv("path", { d: d, fill: "none", stroke: palette[si % palette.length], "stroke-width": 1.5 }));
    });
    axisLabels(g, months, W, H, pad);
    return el("figure", null, el("figcaption", null, title), g, legend(series));
  }

  // ---- the flag x environment matrix -----------------------------------------------------------
  var flagsSection = section("flags", "Flags");
  var query = el("input", { type: "search", id: "filter", placeholder: "name, owner, description\u2026",
    "aria-controls": "flag-table", autocomplete: "off" });
  var show = el("select", { id: "show" },
    [["all", "all flags"], ["drifting", "drifting"], ["stale", "stale"], ["unhealthy", "health below 80"],
     ["tests", "failing tests"]].map(function (o) { return el("option", { value: o[0] }, o[1]); }));
  var count = el("span", { id: "shown", role: "status", "aria-live": "polite", className: "muted" });
  flagsSection.appendChild(el("div", { className: "controls" },
    el("label", { "for": "filter" }, "Filter (press / to focus)", query),
    el("label", { "for": "show" }, "Show", show), count));

  var staleNames = {};
  data.stale.forEach(function (s) { staleNames[s.flag] = s.codes; });
  function cellOf(f, env) {
    for (var i = 0; i < f.environments.length; i++) if (f.environments[i].env === env) return f.environments[i];
    return null;
  }
  function toggleTotal(f) {
    return f.toggles.reduce(function (s, t) { return s + t.total; }, 0);
  }
  var columns = [
    { label: "Flag", key: function (f) { return f.name; }, cell: function (f) {
      return el("span", { className: "name" }, f.name);
    } },
    { label: "Health", num: true, key: function (f) { return f.health; }, cell: function (f) {
      return el("span", { className: "badge " + healthClass(f.health), title: f.reasons.map(function (r) {
        return "\u2212" + r.points + " " + r.message; }).join("\n") || "nothing taken off" }, f.health);
    } },
    { label: "Owner", narrow: true, key: function (f) { return f.owner || "\uffff"; }, cell: function (f) {
      return f.owner || el("span", { className: "absent" }, "none");
    } },
    { label: "Kind", narrow: true, key: function (f) { return f.kind || ""; }, cell: function (f) { return f.kind || ""; } }
  ].concat(envs.map(function (env) {
    return { label: env, key: function (f) {
      var c = cellOf(f, env);
      return c && c.present ? 10 - rank(c.drift_severity) : 20;
    }, cell: function (f) {
      var c = cellOf(f, env);
      if (!c || !c.present) {
        return el("span", { className: "cell" }, el("span", { className: "absent" }, "absent"),
          c && c.drift ? el("span", { className: "mark " + c.drift_severity }, c.drift) : null);
      }
      return el("span", { className: "cell" },
        el("span", { className: "v" }, c.version), " ",
        el("span", { className: c.enabled ? "on" : "off" }, c.enabled ? "on" : "off"),
        c.serves ? " " + c.serves : "",
        c.drift ? el("span", { className: "mark " + c.drift_severity, title: c.drift_severity }, c.drift) : null);
    } };
  })).concat([
    { label: "Toggles", num: true, key: toggleTotal, cell: function (f) { return toggleTotal(f); } }
  ]);

  function details(f) {
    var reasons = f.reasons.length
      ? el("ul", null, f.reasons.map(function (r) {
          return el("li", null, "\u2212" + r.points + " (" + r.kind + (r.env ? ", " + r.env : "") + "): " + r.message);
        }))
      : el("p", null, "Nothing took points off.");
    var series = f.toggles.map(function (t) {
      var values = data.months.map(function () { return 0; });
      t.by_month.forEach(function (p) { if (p[0] < values.length) values[p[0]] = p[1]; });
      return { label: t.env + " (" + t.total + ")", values: values };
    });
    return el("div", { className: "details" },
      f.description ? el("p", null, f.description) : null,
      el("p", { className: "muted" }, "Added " + day(f.born) + ", last changed " + day(f.changed) +
        (f.lifecycle ? ", lifecycle " + f.lifecycle : "") +
        (f.tests ? ", recorded tests: " + f.tests.passed + " passed, " + f.tests.failed + " failed" : "")),
      el("h3", null, "Health " + f.health + "/100"), reasons,
      series.length ? bars("Toggles of " + f.name + " per month", data.months, series) : el("p", { className: "muted" }, "Never toggled."));
  }
  var flagTable = sortable(columns, data.flags, "Flags by environment, with health and drift", {
    attrs: function (f) { return { className: "flag", "data-flag": f.name }; },
    follow: function (f, tr) {
      var open = el("tr", { className: "details", hidden: true });
      var td = el("td", { colspan: columns.length });
      open.appendChild(td);
      var button = el("button", { type: "button", className: "more", "aria-expanded": "false",
        "aria-label": "details of " + f.name, onclick: function () {
          var expand = open.hidden;
          if (expand && !td.firstChild) td.appendChild(details(f));
          open.hidden = !expand;
          button.setAttribute("aria-expanded", String(expand));
        } }, "details");
      tr.firstChild.appendChild(button);
      return open;
    }
  });
  flagTable.table.id = "flag-table";
  flagsSection.appendChild(flagTable.node);

  function matches(f, q, mode) {
    if (q) {
      var hay = (f.name + " " + (f.owner || "") + " " + (f.description || "")).toLowerCase();
      if (hay.indexOf(q) < 0) return false;
    }
    switch (mode) {
      case "drifting": return f.reasons.some(function (r) { return r.kind === "drift" || r.kind === "lag"; });
      case "stale": return Object.prototype.hasOwnProperty.call(staleNames, f.name);
      case "unhealthy": return f.health < 80;
      case "tests": return !!(f.tests && f.tests.failed);
      default: return true;
    }
  }
  function applyFilter() {
    var q = query.value.trim().toLowerCase(), mode = show.value, n = 0;
    flagTable.items.forEach(function (it) {
      var ok = matches(it.row, q, mode);
      it.tr.hidden = !ok;
      if (!ok && it.follow) it.follow.hidden = true;
      if (ok) n++;
    });
    count.textContent = "Showing " + n + " of " + data.flags.length + " flags";
    var hash = (q ? "q=" + encodeURIComponent(q) : "") + (mode !== "all" ? (q ? "&" : "") + "show=" + mode : "");
    if (history.replaceState) {
      try { history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search); } catch (e) { /* file:// in some browsers */ }
    }
  }
  // A filter can be linked: index.html#q=checkout&show=drifting
  (function fromHash() {
    var h = location.hash.replace(/^#/, "");
    h.split("&").forEach(function (part) {
      var kv = part.split("=");
      var v = kv.length > 1 ? decodeURIComponent(kv.slice(1).join("=")) : "";
      if (kv[0] === "q") query.value = v;
      if (kv[0] === "show" && show.querySelector("option[value='" + v.replace(/[^a-z]/g, "") + "']")) show.value = v;
    });
  })();
  query.addEventListener("input", applyFilter);
  show.addEventListener("change", applyFilter);
  document.addEventListener("keydown", function (e) {
    var typing = /^(INPUT|SELECT|TEXTAREA)$/.test((document.activeElement || {}).tagName || "");
    if (e.key === "/" && !typing) { e.preventDefault(); query.focus(); }
    if (e.key === "Escape" && document.activeElement === query) { query.value = ""; applyFilter(); }
  });
  applyFilter();

  // ---- propagation lag -------------------------------------------------------------------------
  var lagSection = section("lag", "Propagation lag");
  lagSection.appendChild(el("p", { className: "muted" },
    "Time from a version's arrival in one environment to its arrival in the next, read from git."));
  lagSection.appendChild(sortable([
    { label: "From \u2192 to", key: function (p) { return p.upstream; }, cell: function (p) { return p.upstream + " \u2192 " + p.downstream; } },
    { label: "Promotions", num: true, key: function (p) { return p.promotions; }, cell: function (p) { return p.promotions; } },
    { label: "Median", num: true, key: function (p) { return p.median_hours || 0; }, cell: function (p) { return hours(p.median_hours); } },
    { label: "Worst", num: true, key: function (p) { return p.worst_hours || 0; }, cell: function (p) { return hours(p.worst_hours); } },
    { label: "Waiting now", num: true, key: function (p) { return p.pending; }, cell: function (p) { return p.pending; } },
    { label: "Oldest waiting", num: true, key: function (p) { return p.oldest_pending_days || 0; }, cell: function (p) {
      return p.oldest_pending_days === null ? "\u2014" : p.oldest_pending_days + " d"; } }
  ], data.lag, "Propagation lag per environment pair").node);
  var lagCharts = el("div", { className: "charts" });
  data.lag.forEach(function (p) {
    var median = data.months.map(function () { return null; }), worst = median.slice();
    p.by_month.forEach(function (m) { median[m.month] = m.median_hours; worst[m.month] = m.worst_hours; });
    lagCharts.appendChild(lines(p.upstream + " \u2192 " + p.downstream + ": lag per month", data.months,
      [{ label: "median", values: median }, { label: "worst", values: worst }], hours));
  });
  lagSection.appendChild(lagCharts);

  // ---- toggles over time -----------------------------------------------------------------------
  var toggleSection = section("toggles", "Toggles over time");
  toggleSection.appendChild(el("div", { className: "charts" }, bars("Toggles per month, every flag", data.months,
    data.toggles.map(function (s) { return { label: s.env, values: s.counts }; }))));
  var busiest = data.flags.filter(function (f) { return toggleTotal(f) > 0; })
    .sort(function (a, b) { return toggleTotal(b) - toggleTotal(a) || (a.name < b.name ? -1 : 1); }).slice(0, 10);
  if (busiest.length) {
    toggleSection.appendChild(el("h3", null, "Most toggled flags"));
    toggleSection.appendChild(sortable([
      { label: "Flag", key: function (f) { return f.name; }, cell: function (f) { return el("span", { className: "name" }, f.name); } }
    ].concat(envs.map(function (env) {
      var n = function (f) { var t = f.toggles.filter(function (x) { return x.env === env; })[0]; return t ? t.total : 0; };
      return { label: env, num: true, key: n, cell: n };
    })), busiest, "Most toggled flags").node);
  }

  // ---- stale flags -----------------------------------------------------------------------------
  var staleSection = section("stale", "Stale flags");
  if (data.stale.length) {
    staleSection.appendChild(sortable([
      { label: "Flag", key: function (s) { return s.flag; }, cell: function (s) { return el("span", { className: "name" }, s.flag); } },
      { label: "Why", key: function (s) { return s.codes.join(","); }, cell: function (s) { return s.codes.join(", "); } },
      { label: "Kind", key: function (s) { return s.kind; }, cell: function (s) { return s.kind; } },
      { label: "Owner", key: function (s) { return s.owner || ""; }, cell: function (s) { return s.owner || ""; } },
      { label: "Age (days)", num: true, key: function (s) { return s.age_days || 0; }, cell: function (s) { return s.age_days === null ? "?" : s.age_days; } },
      { label: "Last change", key: function (s) { return s.changed || ""; }, cell: function (s) { return s.changed || "?"; } }
    ], data.stale, "Stale flags").node);
  } else {
    staleSection.appendChild(el("p", null, "No stale flags."));
  }

  // ---- owners ----------------------------------------------------------------------------------
  var ownerSection = section("owners", "Owners");
  ownerSection.appendChild(sortable([
    { label: "Owner", key: function (o) { return o.owner || "\uffff"; }, cell: function (o) { return o.owner || el("span", { className: "absent" }, "no owner"); } },
    { label: "Flags", num: true, key: function (o) { return o.flags; }, cell: function (o) { return o.flags; } },
    { label: "Average health", num: true, key: function (o) { return o.average_health; }, cell: function (o) {
      return el("span", { className: "badge " + healthClass(o.average_health) }, o.average_health); } },
    { label: "Drifting", num: true, key: function (o) { return o.drifting; }, cell: function (o) { return o.drifting; } },
    { label: "Stale", num: true, key: function (o) { return o.stale; }, cell: function (o) { return o.stale; } }
  ], data.owners, "Flags per owner").node);

  // ---- last changes ----------------------------------------------------------------------------
  var changeSection = section("changes", "Last changes");
  if (data.changes.length) {
    changeSection.appendChild(el("ol", { className: "changes" }, data.changes.map(function (c) {
      return el("li", null,
        el("div", null, el("strong", null, c.subject), " ", el("span", { className: "muted" },
          day(c.time) + " \u00b7 " + c.author + " \u00b7 " + c.commit.slice(0, 12))),
        c.reason ? el("div", null, "Reason: " + c.reason) : null,
        el("div", { className: "muted" }, c.changes.map(function (x) {
          var v = x.from_version && x.to_version && x.from_version !== x.to_version
            ? " " + x.from_version + " \u2192 " + x.to_version : (x.to_version ? " " + x.to_version : "");
          return x.type.replace("flag.", "") + " " + x.flag + " in " + x.env + v;
        }).join("; ")));
    })));
  } else {
    changeSection.appendChild(el("p", null, "No history: the repository is not in git, or no commit changed a flag."));
  }
  document.documentElement.setAttribute("data-ready", "true");
})();
