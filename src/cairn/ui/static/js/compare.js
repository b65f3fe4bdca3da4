// The compare page: overlaid metric charts (one series per run), parallel coordinates of
// chosen params against a metric, a scatter of any two values, and the "only differences"
// switch. Every choice is written back to the query string so the view can be linked to.

import { MetricChart, escapeHtml, formatNumber, getJSON, isDark, whenVisible } from "./charts.js";

const root = document.getElementById("compare-page");
const data = JSON.parse(document.getElementById("compare-data").textContent);
const runIds = root.dataset.runs;
const byId = new Map(data.runs.map((run) => [run.id, run]));
const numeric = new Set(data.numeric_params);
const textColor = () => (isDark() ? "#9aa7b6" : "#5d6b7b");

// -- the query string ---------------------------------------------------------------------

function setQuery(changes) {
  const url = new URL(window.location.href);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === "" || value === undefined) url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }
  window.history.replaceState(null, "", url);
}

const checked = (container) =>
  [...container.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);

// -- only differences ---------------------------------------------------------------------

document.getElementById("only-diff")?.addEventListener("change", (event) => {
  document.querySelectorAll(".diff-table").forEach((table) => {
    table.classList.toggle("only-diff", event.target.checked);
  });
  setQuery({ diff: event.target.checked ? "1" : null });
});

// -- overlaid metric charts -----------------------------------------------------------------

const grid = document.getElementById("chart-grid");
const picker = document.getElementById("metric-picker");
const state = (() => {
  const params = new URLSearchParams(window.location.search);
  return {
    x: params.get("x") || "step",
    smoothing: Number(params.get("smooth") || 0),
    log: ["1", "true", "on", "yes"].includes((params.get("log") || "").toLowerCase()),
  };
})();
const charts = new Map(); // metric key -> MetricChart

function loader(key) {
  return async ({ points, x, lo, hi }) => {
    const query = new URLSearchParams({ runs: runIds, key, points: String(points), x });
    if (lo !== undefined) query.set("lo", String(lo));
    if (hi !== undefined) query.set("hi", String(hi));
    const answer = await getJSON(`/compare/series?${query}`);
    return answer.series.map((s) => {
      const run = byId.get(s.run_id);
      return { ...s, name: run.label, color: run.color, start: run.start };
    });
  };
}

function describe(chart, err) {
  const info = chart.element.parentElement.querySelector(".chart-info");
  if (!info) return;
  if (err) {
    info.textContent = `Zoomed data could not be loaded: ${err.message}`;
    return;
  }
  const thinned = chart.shown.some((s) => s.downsampled);
  const runs = chart.shown.length;
  const points = chart.pointCount();
  info.textContent =
    `${runs} ${runs === 1 ? "run" : "runs"} · ${points.toLocaleString()} ${points === 1 ? "point" : "points"}` +
    (thinned ? " (thinned, extremes kept)" : "") +
    (chart.zoomed ? " in view" : "");
}

function card(key) {
  const section = document.createElement("section");
  section.className = "card chart-card";
  section.dataset.key = key;
  const title = document.createElement("div");
  title.className = "chart-title";
  const name = document.createElement("h2");
  name.className = "mono";
  name.textContent = key;
  title.append(name);
  const chart = document.createElement("div");
  chart.className = "chart";
  chart.dataset.key = key;
  chart.setAttribute("role", "img");
  chart.setAttribute("aria-label", `Chart of ${key} for every run`);
  const info = document.createElement("div");
  info.className = "chart-info muted";
  section.append(title, chart, info);
  return section;
}

function drawCharts() {
  if (!grid) return;
  const wanted = picker ? checked(picker) : [];
  for (const [key, chart] of charts) {
    if (!wanted.includes(key)) {
      chart.dispose();
      charts.delete(key);
    }
  }
  const cards = [];
  grid.replaceChildren(
    ...wanted.map((key) => {
      const existing = charts.get(key);
      if (existing) return existing.element.parentElement;
      const made = card(key);
      cards.push(made.querySelector(".chart"));
      return made;
    }),
  );
  document.getElementById("no-charts").hidden = wanted.length > 0;
  whenVisible(cards, (element) => {
    const chart = new MetricChart(element, loader(element.dataset.key), state, { onInfo: describe });
    charts.set(element.dataset.key, chart);
    chart.start().catch(() => {});
  });
}

picker?.addEventListener("change", () => {
  setQuery({ metrics: checked(picker).join(",") || null });
  drawCharts();
});

function applyChartState(change) {
  Object.assign(state, change);
  setQuery({
    x: state.x === "step" ? null : state.x,
    smooth: state.smoothing ? String(state.smoothing) : null,
    log: state.log ? "1" : null,
  });
  for (const chart of charts.values()) chart.update(change).catch(() => {});
}

document.getElementById("x-mode")?.addEventListener("change", (e) => applyChartState({ x: e.target.value }));
const slider = document.getElementById("smoothing");
slider?.addEventListener("input", () => {
  document.getElementById("smoothing-value").textContent = Number(slider.value).toFixed(2);
  applyChartState({ smoothing: Number(slider.value) });
});
document.getElementById("log-scale")?.addEventListener("change", (e) => applyChartState({ log: e.target.checked }));

// -- values of a run, for the parallel coordinates and the scatter ---------------------------

function valueOf(run, axis) {
  const [kind, ...rest] = axis.split(":");
  const key = rest.join(":");
  const value = kind === "param" ? run.params[key] : run.metrics[key];
  if (value === undefined || value === null) return null;
  if (kind === "metric" || numeric.has(key)) return Number(value);
  return String(value);
}

function isNumericAxis(axis) {
  const [kind, ...rest] = axis.split(":");
  return kind === "metric" || numeric.has(rest.join(":"));
}

function axisSpec(axis, values) {
  if (!isNumericAxis(axis)) {
    const categories = [...new Set(values.filter((v) => v !== null))].sort();
    return { type: "category", data: categories };
  }
  const present = values.filter((v) => v !== null);
  const positive = present.length > 0 && present.every((v) => v > 0);
  const spread = positive ? Math.max(...present) / Math.min(...present) : 0;
  return { type: spread >= 100 ? "log" : "value", scale: true };
}

function newChart(element) {
  const chart = window.echarts.init(element, isDark() ? "dark" : null);
  new ResizeObserver(() => chart.resize()).observe(element);
  return chart;
}

// -- parallel coordinates ------------------------------------------------------------------

const parallelElement = document.getElementById("parallel-chart");
const pcPicker = document.getElementById("pc-picker");
const pcMetric = document.getElementById("pc-metric");
const parallel = parallelElement ? newChart(parallelElement) : null;

function drawParallel(save = true) {
  if (!parallel) return;
  const params = checked(pcPicker);
  const metric = pcMetric.value;
  const axes = [...params.map((k) => `param:${k}`), `metric:${metric}`];
  const specs = axes.map((axis) => axisSpec(axis, data.runs.map((run) => valueOf(run, axis))));
  const rows = data.runs.map((run) => ({
    name: run.label,
    value: axes.map((axis) => valueOf(run, axis)),
  }));
  const metricValues = rows.map((r) => r.value.at(-1)).filter((v) => v !== null);
  const text = textColor();
  parallel.setOption(
    {
      backgroundColor: "transparent",
      animation: false,
      parallel: { left: 48, right: 64, top: 44, bottom: 70 },
      parallelAxis: axes.map((axis, dim) => ({
        dim,
        name: axis.split(":").slice(1).join(":"),
        nameTextStyle: { color: text, fontWeight: dim === axes.length - 1 ? "bold" : "normal" },
        axisLabel: { color: text, formatter: specs[dim].type === "category" ? undefined : formatNumber },
        ...specs[dim],
      })),
      visualMap: metricValues.length
        ? {
            type: "continuous",
            dimension: axes.length - 1,
            min: Math.min(...metricValues),
            max: Math.max(...metricValues),
            calculable: true,
            orient: "horizontal",
            left: "center",
            bottom: 4,
            itemWidth: 12,
            itemHeight: 220,
            formatter: formatNumber,
            textStyle: { color: text },
            inRange: { color: ["#3b4cc0", "#b7d4ea", "#f4a582", "#b40426"] },
          }
        : undefined,
      tooltip: { trigger: "item", formatter: (p) => escapeHtml(p.name) },
      series: [
        {
          type: "parallel",
          lineStyle: { width: 2.5, opacity: 0.85 },
          emphasis: { lineStyle: { width: 4, opacity: 1 } },
          data: rows,
        },
      ],
    },
    { notMerge: true },
  );
  parallelElement.dataset.axes = String(axes.length);
  parallelElement.dataset.lines = String(rows.length);
  if (save) setQuery({ pc: params.join(",") || null, pcm: metric });
}

pcPicker?.addEventListener("change", () => drawParallel());
pcMetric?.addEventListener("change", () => drawParallel());

// -- scatter --------------------------------------------------------------------------------

const scatterElement = document.getElementById("scatter-chart");
const scatterX = document.getElementById("scatter-x");
const scatterY = document.getElementById("scatter-y");
const scatter = scatterElement ? newChart(scatterElement) : null;

function drawScatter(save = true) {
  if (!scatter) return;
  const xAxis = scatterX.value;
  const yAxis = scatterY.value;
  const xs = data.runs.map((run) => valueOf(run, xAxis));
  const ys = data.runs.map((run) => valueOf(run, yAxis));
  const name = (axis) => axis.split(":").slice(1).join(":");
  const text = textColor();
  const points = data.runs
    .map((run, i) => ({ run, x: xs[i], y: ys[i] }))
    .filter((p) => p.x !== null && p.y !== null);
  const axis = (spec, title, position) => ({
    ...spec,
    boundaryGap: spec.type === "category" ? true : ["8%", "8%"], // points clear of the edges
    name: title,
    nameLocation: "middle",
    nameGap: position === "x" ? 28 : 48,
    nameTextStyle: { color: text },
    axisLabel: { color: text, formatter: spec.type === "category" ? undefined : formatNumber },
    splitLine: { lineStyle: { color: isDark() ? "#2f3946" : "#e6e9ee" } },
  });
  scatter.setOption(
    {
      backgroundColor: "transparent",
      animation: false,
      grid: { left: 64, right: 24, top: 24, bottom: 48 },
      tooltip: {
        trigger: "item",
        formatter: (p) => {
          const shown = (v) => (typeof v === "number" ? formatNumber(v) : v);
          const label = document.createElement("div");
          const strong = document.createElement("strong");
          strong.textContent = p.data.run;
          label.append(strong, document.createElement("br"));
          label.append(`${name(xAxis)}: ${shown(p.data.value[0])}`, document.createElement("br"));
          label.append(`${name(yAxis)}: ${shown(p.data.value[1])}`);
          return label.innerHTML; // built from text nodes: run names cannot inject markup
        },
      },
      xAxis: axis(axisSpec(xAxis, xs), name(xAxis), "x"),
      yAxis: axis(axisSpec(yAxis, ys), name(yAxis), "y"),
      series: [
        {
          type: "scatter",
          symbolSize: 14,
          data: points.map((p) => ({
            value: [p.x, p.y],
            run: p.run.label,
            itemStyle: { color: p.run.color, borderColor: "#fff", borderWidth: 1 },
          })),
        },
      ],
    },
    { notMerge: true },
  );
  scatterElement.dataset.points = String(points.length);
  if (save) setQuery({ sx: xAxis, sy: yAxis });
}

scatterX?.addEventListener("change", () => drawScatter());
scatterY?.addEventListener("change", () => drawScatter());

drawCharts();
drawParallel(false);
drawScatter(false);
window.cairnCompare = { charts, parallel, scatter }; // for tests and the console
