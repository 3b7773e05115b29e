import type { Coordinates } from "./geo.ts";

/**
 * The Web Mercator projection (EPSG:3857) as slippy-map tile servers use it:
 * at zoom z the world is a square of 256·2^z pixels, x growing east from the
 * antimeridian and y growing south from latitude +85.0511°. Maps of the board
 * are drawn on the server as SVG, so the projection lives here, free of any
 * page or HTTP concern, and is tested on its own.
 */

export const TILE_SIZE = 256;

/** Beyond this latitude Web Mercator is cut off (the world would not be square). */
export const MAX_MERCATOR_LATITUDE = 85.0511287798;

/** Street level; closer zooms add nothing when places are rounded to about 1 km. */
export const MAX_MAP_ZOOM = 15;

export interface WorldPixel {
  readonly x: number;
  readonly y: number;
}

export function project(point: Coordinates, zoom: number): WorldPixel {
  const size = TILE_SIZE * 2 ** zoom;
  const latitude = Math.max(
    -MAX_MERCATOR_LATITUDE,
    Math.min(MAX_MERCATOR_LATITUDE, point.latitude),
  );
  const sinPhi = Math.sin((latitude * Math.PI) / 180);
  const x = ((point.longitude + 180) / 360) * size;
  const y = (0.5 - Math.log((1 + sinPhi) / (1 - sinPhi)) / (4 * Math.PI)) * size;
  return { x, y };
}

export interface MapTile {
  readonly zoom: number;
  /** Tile column, wrapped into 0 … 2^zoom − 1 (the world repeats east–west). */
  readonly x: number;
  readonly y: number;
  /** Where the tile's top-left corner falls in the viewport, in pixels. */
  readonly left: number;
  readonly top: number;
}

export interface MapViewport {
  readonly zoom: number;
  readonly width: number;
  readonly height: number;
  /** World pixel at the viewport's top-left corner (x may be negative: the world wraps). */
  readonly originX: number;
  readonly originY: number;
}

/**
 * The closest zoom at which every point fits in `width` × `height` with
 * `padding` pixels to spare on each side, centred on the points' extent.
 * Points either side of the antimeridian are drawn next to each other: the
 * longitudes are unwrapped across the largest gap between them, so a map of
 * Fiji does not span the whole world. Null when there is no point.
 */
export function fitViewport(
  points: readonly Coordinates[],
  width: number,
  height: number,
  padding: number,
): MapViewport | null {
  if (points.length === 0) return null;
  const longitudes = unwrapLongitudes(points.map((p) => p.longitude));
  const latitudes = points.map((p) => p.latitude);
  const west = Math.min(...longitudes);
  const east = Math.max(...longitudes);
  const north = Math.max(...latitudes);
  const south = Math.min(...latitudes);
  const innerWidth = Math.max(1, width - 2 * padding);
  const innerHeight = Math.max(1, height - 2 * padding);
  let zoom = 0;
  for (let z = MAX_MAP_ZOOM; z >= 0; z--) {
    const a = project({ latitude: north, longitude: west }, z);
    const b = project({ latitude: south, longitude: east }, z);
    if (b.x - a.x <= innerWidth && b.y - a.y <= innerHeight) {
      zoom = z;
      break;
    }
  }
  const a = project({ latitude: north, longitude: west }, zoom);
  const b = project({ latitude: south, longitude: east }, zoom);
  const worldSize = TILE_SIZE * 2 ** zoom;
  const centreX = (a.x + b.x) / 2;
  const centreY = (a.y + b.y) / 2;
  // Vertically the world does not wrap: keep the view inside it when it can be.
  const originY =
    height >= worldSize
      ? (worldSize - height) / 2
      : Math.max(0, Math.min(worldSize - height, centreY - height / 2));
  return { zoom, width, height, originX: centreX - width / 2, originY };
}

/**
 * Longitudes shifted by multiples of 360° so that the widest empty arc between
 * them is the one left outside the map.
 */
export function unwrapLongitudes(longitudes: readonly number[]): number[] {
  if (longitudes.length < 2) return [...longitudes];
  const sorted = [...longitudes].sort((x, y) => x - y);
  let gapEnd = sorted[0] as number;
  let widest = 360 - ((sorted.at(-1) as number) - gapEnd);
  for (let i = 1; i < sorted.length; i++) {
    const gap = (sorted[i] as number) - (sorted[i - 1] as number);
    if (gap > widest) {
      widest = gap;
      gapEnd = sorted[i] as number;
    }
  }
  // Everything west of the gap's end moves one turn east.
  return longitudes.map((longitude) => (longitude < gapEnd ? longitude + 360 : longitude));
}

/**
 * Where a point falls in the viewport. With the world repeating east–west,
 * the copy of the point nearest the viewport's centre is the one drawn.
 */
export function toViewport(viewport: MapViewport, point: Coordinates): WorldPixel {
  const world = project(point, viewport.zoom);
  const worldSize = TILE_SIZE * 2 ** viewport.zoom;
  const centreX = viewport.originX + viewport.width / 2;
  const turns = Math.round((centreX - world.x) / worldSize);
  return { x: world.x + turns * worldSize - viewport.originX, y: world.y - viewport.originY };
}

/** The tiles that cover the viewport, in rows from the top. */
export function tilesFor(viewport: MapViewport): MapTile[] {
  const count = 2 ** viewport.zoom;
  const firstColumn = Math.floor(viewport.originX / TILE_SIZE);
  const lastColumn = Math.floor((viewport.originX + viewport.width - 1) / TILE_SIZE);
  const firstRow = Math.max(0, Math.floor(viewport.originY / TILE_SIZE));
  const lastRow = Math.min(
    count - 1,
    Math.floor((viewport.originY + viewport.height - 1) / TILE_SIZE),
  );
  const tiles: MapTile[] = [];
  for (let row = firstRow; row <= lastRow; row++) {
    for (let column = firstColumn; column <= lastColumn; column++) {
      tiles.push({
        zoom: viewport.zoom,
        x: ((column % count) + count) % count,
        y: row,
        left: column * TILE_SIZE - viewport.originX,
        top: row * TILE_SIZE - viewport.originY,
      });
    }
  }
  return tiles;
}

/** The inverse of `project`: the place under a world pixel (longitude not wrapped). */
export function unproject(pixel: WorldPixel, zoom: number): Coordinates {
  const size = TILE_SIZE * 2 ** zoom;
  const longitude = (pixel.x / size) * 360 - 180;
  const n = Math.PI - (2 * Math.PI * pixel.y) / size;
  const latitude = (Math.atan(Math.sinh(n)) * 180) / Math.PI;
  return { latitude, longitude };
}

const GRID_STEPS = [30, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005];

/**
 * Graticule spacing in degrees for a map without tiles: the finest step whose
 * meridians stay at least `minPixels` apart, so the plain background still
 * tells north from south and how far apart markers are.
 */
export function gridStep(zoom: number, minPixels = 64): number {
  const pixelsPerDegree = (TILE_SIZE * 2 ** zoom) / 360;
  let chosen = GRID_STEPS[0] as number;
  for (const step of GRID_STEPS) {
    if (step * pixelsPerDegree >= minPixels) chosen = step;
  }
  return chosen;
}
