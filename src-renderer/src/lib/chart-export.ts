/**
 * Charts saved as files: PNG from the chart's own canvas (at the screen's resolution, on the
 * theme's background, since the canvas itself is transparent), and SVG by drawing the same chart
 * again into svgcanvas's SVG-building 2D context, which Chart.js draws into like any canvas
 * (BasicPlatform: no DOM events or resize observers for a canvas that is not on the page).
 *
 * svgcanvas reads each text's font by setting a scratch <span>'s style attribute, which the
 * workbench's Content-Security-Policy (style-src 'self') blocks, leaving the SVG's text without a
 * font. During an export, that one attribute goes through the CSSOM instead (style.cssText),
 * which the policy allows; nothing else changes and the patch is removed before returning.
 */
import { BasicPlatform, Chart, type ChartConfiguration } from 'chart.js';
import { Context } from 'svgcanvas';

/** What exporting needs of a chart of any type (Chart<'pcp'> is not a Chart<ChartType>). */
export interface ExportableChart {
  canvas: HTMLCanvasElement;
  /** Size in CSS pixels. */
  width: number;
  height: number;
  config: object;
}

/** A file name from a chart title: lower case, words joined by hyphens, safe on every system. */
export function chartFileName(title: string, extension: 'png' | 'svg'): string {
  const stem = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return `${stem || 'chart'}.${extension}`;
}

function editorBackground(): string {
  return getComputedStyle(document.documentElement).getPropertyValue('--bg-editor').trim() || '#ffffff';
}

/** The chart as PNG bytes, on the workbench's background colour. */
export function chartPng(chart: ExportableChart): Uint8Array {
  const source = chart.canvas;
  const copy = document.createElement('canvas');
  copy.width = source.width;
  copy.height = source.height;
  const context = copy.getContext('2d');
  if (!context) throw new Error('This browser cannot draw a canvas to export.');
  context.fillStyle = editorBackground();
  context.fillRect(0, 0, copy.width, copy.height);
  context.drawImage(source, 0, 0);
  const base64 = copy.toDataURL('image/png').split(',')[1] ?? '';
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

/** Runs `work` while spans created by the page take a style attribute through the CSSOM. */
function withCssomStyleAttributes<T>(work: () => T): T {
  const create = Document.prototype.createElement;
  const patched = function (this: Document, tagName: string, options?: ElementCreationOptions): HTMLElement {
    const element = create.call(this, tagName, options);
    if (tagName.toLowerCase() === 'span') {
      const setAttribute = element.setAttribute.bind(element);
      element.setAttribute = (name: string, value: string): void => {
        if (name === 'style') element.style.cssText = value;
        else setAttribute(name, value);
      };
    }
    return element;
  };
  Object.defineProperty(document, 'createElement', { value: patched, configurable: true, writable: true });
  try {
    return work();
  } finally {
    Reflect.deleteProperty(document, 'createElement');
  }
}

/** The chart as a standalone SVG document at its on-screen size in CSS pixels. */
export function chartSvg(chart: ExportableChart): string {
  const { width, height } = chart;
  const svgContext = new Context({ width, height });
  // The live chart's own configuration: type, data, options and inline plugins.
  const config = chart.config as ChartConfiguration;
  // svgcanvas's context is its own canvas (context.canvas === context) but has no getContext,
  // which Chart.js asks the canvas for: answer with the context itself.
  const canvasLike = Object.assign(svgContext, { getContext: () => svgContext });
  const copy = withCssomStyleAttributes(
    () =>
      new Chart(canvasLike as unknown as CanvasRenderingContext2D, {
        type: config.type,
        data: config.data,
        options: { ...config.options, animation: false, responsive: false, devicePixelRatio: 1 },
        plugins: config.plugins,
        platform: BasicPlatform,
      }),
  );
  try {
    // The background first, as in the PNG: a transparent SVG is unreadable on a dark page.
    const svg = svgContext.getSerializedSvg(true);
    return svg.replace(/(<svg[^>]*>)/, `$1<rect width="100%" height="100%" fill="${editorBackground()}"/>`);
  } finally {
    copy.destroy();
  }
}
