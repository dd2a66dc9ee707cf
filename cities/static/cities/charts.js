// One small ECharts line chart per indicator: the approved figures against the path to the
// target. The data comes from the page (json_script); nothing is fetched.
(function () {
  if (!window.echarts) return;
  var charts = JSON.parse(document.getElementById("charts").textContent);
  var words = JSON.parse(document.getElementById("chart-words").textContent);
  var made = [];
  document.querySelectorAll(".chart[data-code]").forEach(function (el) {
    var data = charts[el.dataset.code];
    if (!data) return;
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 12, top: 28, bottom: 24 },
      legend: { data: [words.actual, words.path], top: 0, textStyle: { fontSize: 11 } },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.labels },
      // Counts (whole numbers) are marked in whole steps; amounts as ECharts likes.
      yAxis: data.whole ? { type: "value", min: 0, minInterval: 1 } : { type: "value", min: 0 },
      series: [
        { name: words.actual, type: "bar", data: data.actual, itemStyle: { color: "#1f6feb" } },
        { name: words.path, type: "line", data: data.path, lineStyle: { type: "dashed" },
          itemStyle: { color: "#d4880f" } }
      ]
    });
    made.push(chart);
  });
  window.addEventListener("resize", function () { made.forEach(function (c) { c.resize(); }); });
})();
