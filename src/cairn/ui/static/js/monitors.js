// Monitoring charts drawn with ECharts (the vendored `echarts` global): quality metrics and
// drift share over windows on a monitor's page; reference vs current distributions per
// feature on a window's page. The data rides in <script type="application/json"> blocks.

import { PALETTE, isDark } from "./charts.js";

function readJson(id) {
  const holder = document.getElementById(id);
  return holder ? JSON.parse(holder.textContent) : null;
}

function draw(element, option) {
  const chart = window.echarts.init(element, isDark() ? "dark" : null, { renderer: "canvas" });
  chart.setOption({ color: PALETTE, animation: false, ...option });
  new ResizeObserver(() => chart.resize()).observe(element);
  element.dataset.ready = "true";
  return chart;
}

function lines(element, windows, series, yMax) {
  draw(element, {
    grid: { left: 48, right: 16, top: 36, bottom: 36 },
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", top: 0 },
    xAxis: { type: "category", name: "window", nameLocation: "middle", nameGap: 24,
             data: windows.map(String) },
    yAxis: { type: "value", min: yMax === 1 ? 0 : null, max: yMax, scale: yMax !== 1 },
    series: Object.entries(series).map(([name, values]) => ({
      name, type: "line", data: values, connectNulls: false, showSymbol: true,
    })),
  });
}

const monitorData = readJson("monitor-chart-data");
if (monitorData) {
  const quality = document.getElementById("quality-chart");
  if (quality) {
    const bounded = Object.fromEntries(
      Object.entries(monitorData.quality).filter(([, v]) => v.every((x) => x === null || (x >= 0 && x <= 1))),
    );
    const all = Object.keys(bounded).length === Object.keys(monitorData.quality).length;
    lines(quality, monitorData.windows, monitorData.quality, all ? 1 : null);
  }
  const drift = document.getElementById("drift-chart");
  if (drift) lines(drift, monitorData.windows, { drift_share: monitorData.drift_share }, 1);
}

const distData = readJson("window-dist-data");
if (distData) {
  document.querySelectorAll("[data-dist]").forEach((element) => {
    const column = distData[Number(element.dataset.dist)];
    draw(element, {
      grid: { left: 44, right: 8, top: 28, bottom: 48 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      xAxis: { type: "category", data: column.labels, axisLabel: { rotate: 30, fontSize: 10 } },
      yAxis: { type: "value", name: "share" },
      series: [
        { name: "reference", type: "bar", data: column.reference, itemStyle: { color: "#94a3b8" } },
        { name: "current", type: "bar", data: column.current, itemStyle: { color: "#2563eb" } },
      ],
    });
  });
}
