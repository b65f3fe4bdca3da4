// Metric charts drawn with ECharts (the vendored `echarts` global): lines by step, wall-clock
// time or time since the run started; zoom with the mouse wheel or the slider; smoothing (an
// exponential moving average, bias-corrected as TensorBoard does); log scale.
//
// The server thins every series to about one point per pixel. When the user zooms in, the
// chart asks again for the visible range only, which comes back at full resolution once the
// range is small enough: no chart ever holds more than ~2,000 points per series.

const MAX_POINTS = 2000;
const MIN_POINTS = 200;
const REFETCH_DELAY_MS = 250;
const FEW_POINTS = 12;
export const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
];

export function isDark() {
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
}

/** Exponential moving average of `values` (nulls stay gaps), bias-corrected at the start. */
export function smooth(values, weight) {
  if (!(weight > 0)) return values.slice();
  const out = new Array(values.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    count += 1;
    out[i] = last / (1 - weight ** count);
  }
  return out;
}

/** Text made safe to put in HTML (ECharts tooltips take markup). */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A compact number for axes and tooltips: 4 significant digits. */
export function formatNumber(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e6)) return value.toExponential(3);
  return Number(value.toPrecision(4)).toString();
}

/** Seconds as `1h 02m`, `3m 07s` or `4.2s`. */
export function formatSeconds(seconds) {
  if (seconds < 60) return `${Number(seconds.toFixed(1))}s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m ${String(s).padStart(2, "0")}s`;
}

/** How many points a chart of this element's width should ask for. */
export function pointsFor(element) {
  const width = element.clientWidth || 600;
  return Math.max(MIN_POINTS, Math.min(MAX_POINTS, Math.round(width * 1.5)));
}

/** Fetch JSON; rejects with the server's message (from JSON or from an HTML error page). */
export async function getJSON(url) {
  const answer = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  const text = await answer.text();
  if (!answer.ok) {
    let message = `HTTP ${answer.status}`;
    try {
      message = JSON.parse(text).message || message;
    } catch {
      const page = new DOMParser().parseFromString(text, "text/html");
      message = page.querySelector(".message")?.textContent?.trim() || message;
    }
    throw new Error(message);
  }
  return JSON.parse(text);
}

function xValues(series, xMode) {
  if (xMode === "step") return series.steps;
  if (xMode === "time") return series.timestamps;
  const start = series.start ?? series.timestamps[0] ?? 0;
  return series.timestamps.map((t) => (t - start) / 1000);
}

/** The server's axis for a chart's x mode: steps, or milliseconds for both time modes. */
function serverAxis(xMode) {
  return xMode === "step" ? "step" : "time";
}

/**
 * A line chart of one or more series in `element`.
 *
 * `load({points, x, lo, hi})` resolves to a list of series objects
 * `{name, steps, timestamps, values, total, in_range, start?}` (`start`: the run's start time,
 * for x = "relative"). `state` holds `{x, smoothing, log}`; change it with `update(state)`.
 */
export class MetricChart {
  constructor(element, load, state, { colors = PALETTE, onInfo = () => {} } = {}) {
    this.element = element;
    this.load = load;
    this.state = { ...state };
    this.colors = colors;
    this.onInfo = onInfo;
    this.full = [];
    this.shown = [];
    this.zoomed = null;
    this.request = 0;
    this.chart = window.echarts.init(element, isDark() ? "dark" : null, { renderer: "canvas" });
    this.chart.on("datazoom", () => this._zoomChanged());
    this.resizer = new ResizeObserver(() => this.chart.resize());
    this.resizer.observe(element);
  }

  /** Load the overview of every series and draw it. */
  async start() {
    this.chart.showLoading({ text: "", color: "#1f6f8b", maskColor: "rgba(0,0,0,0)" });
    try {
      this.full = await this.load({ points: pointsFor(this.element), x: serverAxis(this.state.x) });
      this.shown = this.full;
      this.zoomed = null;
      this.draw(true);
    } catch (err) {
      this.element.replaceChildren();
      const note = document.createElement("p");
      note.className = "chart-error";
      note.textContent = `This chart could not be loaded: ${err.message}`;
      this.element.append(note);
      throw err;
    } finally {
      this.chart.hideLoading();
    }
  }

  /** Change x mode, smoothing or log scale; a new x mode reloads the data. */
  async update(state) {
    const reload = state.x !== undefined && state.x !== this.state.x;
    Object.assign(this.state, state);
    if (reload) {
      await this.start();
    } else {
      this.draw(false);
    }
  }

  pointCount() {
    return this.shown.reduce((sum, s) => sum + s.values.length, 0);
  }

  _extent() {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of this.full) {
      const xs = xValues(s, this.state.x);
      for (const v of xs) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (!Number.isFinite(lo)) return [0, 1];
    return lo === hi ? [lo - 1, hi + 1] : [lo, hi]; // a lone x value sits mid-chart
  }

  draw(resetZoom) {
    const { x, smoothing, log } = this.state;
    const series = [];
    const names = [];
    this.shown.forEach((s, index) => {
      const color = s.color || this.colors[index % this.colors.length];
      const xs = xValues(s, x);
      const ys = log ? s.values.map((v) => (v !== null && v > 0 ? v : null)) : s.values;
      const pairs = (values) => xs.map((xv, i) => [xv, values[i]]);
      if (smoothing > 0) {
        series.push(line(`${s.name} (raw)`, pairs(ys), color, 0.25, true));
        series.push(line(s.name, pairs(smooth(ys, smoothing)), color, 1, false));
      } else {
        series.push(line(s.name, pairs(ys), color, 1, false));
      }
      names.push(s.name);
    });
    const [lo, hi] = this._extent();
    const dark = isDark();
    const text = dark ? "#9aa7b6" : "#5d6b7b";
    const option = {
      backgroundColor: "transparent",
      animation: false,
      grid: { left: 8, right: 32, top: 26, bottom: 52, containLabel: true },
      tooltip: {
        trigger: "axis",
        confine: true,
        valueFormatter: formatNumber,
        axisPointer: { type: "line", animation: false },
      },
      legend:
        this.shown.length > 1
          ? { type: "scroll", top: 0, data: names, textStyle: { color: text } }
          : { show: false },
      xAxis: {
        type: x === "time" ? "time" : "value",
        min: lo,
        max: hi,
        axisLabel: {
          color: text,
          hideOverlap: true,
          formatter: x === "relative" ? formatSeconds : x === "step" ? formatNumber : undefined,
        },
        splitLine: { show: false },
      },
      yAxis: {
        type: log ? "log" : "value",
        scale: true,
        axisLabel: { color: text, formatter: formatNumber },
        splitLine: { lineStyle: { color: dark ? "#2f3946" : "#e6e9ee" } },
      },
      dataZoom: [
        { type: "inside", xAxisIndex: 0, filterMode: "none" },
        { type: "slider", xAxisIndex: 0, filterMode: "none", height: 18, bottom: 8 },
      ],
      series,
    };
    if (!resetZoom) {
      delete option.dataZoom;
    }
    this.chart.setOption(option, { replaceMerge: ["series"], lazyUpdate: false });
    if (resetZoom) this.chart.dispatchAction({ type: "dataZoom", start: 0, end: 100 });
    this.element.dataset.series = String(this.shown.length);
    this.element.dataset.points = String(this.pointCount());
    this.onInfo(this);
  }

  _visibleRange() {
    const zoom = this.chart.getOption().dataZoom?.[0];
    if (!zoom || (zoom.start <= 0 && zoom.end >= 100)) return null;
    const [lo, hi] = this._extent();
    const span = hi - lo;
    return [lo + (span * zoom.start) / 100, lo + (span * zoom.end) / 100];
  }

  _zoomChanged() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._refetch(), REFETCH_DELAY_MS);
  }

  async _refetch() {
    const range = this._visibleRange();
    const thinned = this.full.some((s) => s.in_range > s.values.length);
    if (range === null) {
      if (this.zoomed !== null) {
        this.zoomed = null;
        this.shown = this.full;
        this.draw(false);
      }
      return;
    }
    if (!thinned) return; // every point is drawn already
    if (this.state.x === "relative" && new Set(this.full.map((s) => s.start)).size > 1) {
      return; // runs started at different times: one server range cannot fit them all
    }
    const ticket = ++this.request;
    let [lo, hi] = range;
    if (this.state.x === "relative") {
      // back to server time: milliseconds since the epoch
      const start = this.full[0]?.start ?? this.full[0]?.timestamps[0] ?? 0;
      lo = start + lo * 1000;
      hi = start + hi * 1000;
    }
    try {
      const detail = await this.load({
        points: pointsFor(this.element),
        x: serverAxis(this.state.x),
        lo: Math.floor(lo),
        hi: Math.ceil(hi),
      });
      if (ticket !== this.request) return; // a newer zoom won
      // keep each series' colour and start as in the overview
      this.shown = detail.map((s) => {
        const base = this.full.find((f) => f.name === s.name) || {};
        return { ...s, color: base.color, start: base.start };
      });
      this.zoomed = range;
      this.draw(false);
    } catch (err) {
      this.onInfo(this, err);
    }
  }

  dispose() {
    clearTimeout(this.timer);
    this.resizer.disconnect();
    this.chart.dispose();
  }
}

function line(name, data, color, opacity, silent) {
  return {
    name,
    type: "line",
    data,
    showSymbol: data.length <= FEW_POINTS, // a lone point needs its dot to be seen
    symbolSize: 6,
    connectNulls: false,
    silent,
    color,
    lineStyle: { width: silent ? 1 : 1.6, opacity },
    emphasis: { disabled: silent },
    tooltip: silent ? { show: false } : undefined,
    z: silent ? 1 : 2,
  };
}

/** Create charts only when their element scrolls into view (pages may hold hundreds). */
export function whenVisible(elements, create) {
  if (!("IntersectionObserver" in window)) {
    elements.forEach(create);
    return;
  }
  const watcher = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) {
          watcher.unobserve(entry.target);
          create(entry.target);
        }
      }
    },
    { rootMargin: "200px" },
  );
  elements.forEach((el) => watcher.observe(el));
}
