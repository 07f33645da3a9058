/** The part of svgcanvas (2.x, no bundled types) that lib/chart-export.ts uses. */
declare module 'svgcanvas' {
  export class Context {
    constructor(options: { width: number; height: number; document?: Document });
    /** The drawing as a standalone SVG document; `fixNamedEntities` turns &nbsp; and the like into numeric ones. */
    getSerializedSvg(fixNamedEntities?: boolean): string;
  }
}
