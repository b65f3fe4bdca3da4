// The stage graph of a pipeline run, drawn with ECharts (the vendored `echarts` global):
// stages placed by depth from left to right, coloured by status, arrows from each stage to
// the stages reading its outputs. Clicking a stage opens its run. While the pipeline runs,
// the page reloads every few seconds.

const RELOAD_MS = 5000;
const COLUMN_GAP = 70;
const ROW_HEIGHT = 64;
const NODE_HEIGHT = 34;

const page = document.getElementById("pipeline-page");
const holder = document.getElementById("pipeline-graph");
const data = JSON.parse(document.getElementById("pipeline-data").textContent);
const dark = window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;

/** Whether text on `hex` should be dark (the colour is light). */
function lightColour(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.6;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function nodeWidth(name) {
  return Math.max(90, Math.min(260, name.length * 7.4 + 28));
}

function draw() {
  const widest = Math.max(...data.nodes.map((n) => nodeWidth(n.name)), 90);
  const tallest = Math.max(...data.nodes.map((n) => Math.abs(n.row)), 0) * 2 + 1;
  holder.style.height = `${Math.max(240, Math.min(900, tallest * ROW_HEIGHT + 80))}px`;
  const chart = echarts.init(holder, dark ? "dark" : undefined, { renderer: "canvas" });
  const nodes = data.nodes.map((n) => ({
    id: n.name,
    name: n.name,
    x: n.layer * (widest + COLUMN_GAP),
    y: n.row * ROW_HEIGHT,
    symbol: "roundRect",
    symbolSize: [nodeWidth(n.name), NODE_HEIGHT],
    itemStyle: { color: n.colour, borderColor: dark ? "#12161c" : "#ffffff", borderWidth: 1 },
    label: { color: lightColour(n.colour) ? "#1d2733" : "#ffffff" },
    cursor: n.run_id ? "pointer" : "default",
    stage: n,
  }));
  chart.setOption({
    backgroundColor: "transparent",
    animation: false,
    tooltip: {
      trigger: "item",
      formatter: (p) => {
        if (p.dataType !== "node") return "";
        const s = p.data.stage;
        const took = s.duration === null ? "" : `<br>${s.duration.toFixed(2)} s`;
        const reason = s.reason ? `<br>${escapeHtml(s.reason)}` : "";
        const open = s.run_id ? "<br><i>click to open its run</i>" : "";
        return `<b>${escapeHtml(s.name)}</b>: ${escapeHtml(s.status)}${reason}${took}${open}`;
      },
    },
    series: [
      {
        type: "graph",
        layout: "none",
        roam: true,
        data: nodes,
        links: data.edges.map(([source, target]) => ({ source, target })),
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 10,
        lineStyle: { color: dark ? "#6d7a8a" : "#8b97a6", width: 1.5, opacity: 0.9 },
        label: { show: true, position: "inside", fontSize: 12, overflow: "truncate", width: widest - 12 },
        emphasis: { focus: "adjacency", lineStyle: { width: 2.5 } },
      },
    ],
  });
  chart.on("click", (p) => {
    if (p.dataType === "node" && p.data.stage.run_id) {
      window.location.href = `/runs/${encodeURIComponent(p.data.stage.run_id)}`;
    }
  });
  window.addEventListener("resize", () => chart.resize());
  holder.dataset.drawn = String(nodes.length);
}

draw();
if (page.dataset.status === "RUNNING") {
  setTimeout(() => window.location.reload(), RELOAD_MS);
}
