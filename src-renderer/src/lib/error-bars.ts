/**
 * A Chart.js plugin that draws ± std whiskers over bars and line points, for result charts whose
 * values are means over seeds. Chart.js has no error bars of its own.
 */
import type { Plugin } from 'chart.js';

/**
 * `errors()[datasetIndex][dataIndex]` is the std to draw around that value (null: none, e.g. a
 * single seed). Read at every draw, so the chart can be updated in place.
 */
export function errorBarsPlugin(errors: () => (number | null)[][], color: string): Plugin {
  return {
    id: 'errorBars',
    afterDatasetsDraw(chart) {
      const yScale = chart.scales.y;
      if (!yScale) return;
      const all = errors();
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.25;
      chart.data.datasets.forEach((dataset, i) => {
        if (!chart.isDatasetVisible(i)) return;
        const meta = chart.getDatasetMeta(i);
        const cap = meta.type === 'bar' ? 4 : 3;
        meta.data.forEach((element, j) => {
          const std = all[i]?.[j];
          const value = dataset.data[j];
          if (std === null || std === undefined || typeof value !== 'number' || !(std > 0)) return;
          const top = yScale.getPixelForValue(value + std);
          const bottom = yScale.getPixelForValue(value - std);
          const x = element.x;
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, bottom);
          ctx.moveTo(x - cap, top);
          ctx.lineTo(x + cap, top);
          ctx.moveTo(x - cap, bottom);
          ctx.lineTo(x + cap, bottom);
          ctx.stroke();
        });
      });
      ctx.restore();
    },
  };
}
