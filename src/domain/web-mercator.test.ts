import { describe, expect, it } from "vitest";
import {
  fitViewport,
  gridStep,
  MAX_MAP_ZOOM,
  project,
  TILE_SIZE,
  tilesFor,
  toViewport,
  unproject,
  unwrapLongitudes,
} from "./web-mercator.ts";

describe("project", () => {
  it("puts (0, 0) in the middle of the world and the corners at its edges", () => {
    expect(project({ latitude: 0, longitude: 0 }, 0)).toEqual({ x: 128, y: 128 });
    const northWest = project({ latitude: 85.0511287798, longitude: -180 }, 1);
    expect(northWest.x).toBeCloseTo(0, 6);
    expect(northWest.y).toBeCloseTo(0, 3);
    const southEast = project({ latitude: -85.0511287798, longitude: 180 }, 1);
    expect(southEast.x).toBeCloseTo(512, 6);
    expect(southEast.y).toBeCloseTo(512, 3);
  });

  it("agrees with the tile numbering formula slippy-map servers document", () => {
    // xtile = (lon + 180) / 360 · 2^z; ytile = (1 − asinh(tan φ) / π) / 2 · 2^z
    const latitude = 14.5995;
    const longitude = 120.9842;
    const pixel = project({ latitude, longitude }, 10);
    const phi = (latitude * Math.PI) / 180;
    expect(pixel.x / TILE_SIZE).toBeCloseTo(((longitude + 180) / 360) * 1024, 9);
    expect(pixel.y / TILE_SIZE).toBeCloseTo(
      ((1 - Math.asinh(Math.tan(phi)) / Math.PI) / 2) * 1024,
      9,
    );
    expect([Math.floor(pixel.x / TILE_SIZE), Math.floor(pixel.y / TILE_SIZE)]).toEqual([856, 470]);
  });

  it("clamps the poles instead of returning infinities", () => {
    const pole = project({ latitude: 90, longitude: 0 }, 2);
    expect(Number.isFinite(pole.y)).toBe(true);
    expect(pole.y).toBeCloseTo(0, 3);
  });
});

describe("unwrapLongitudes", () => {
  it("leaves points that do not straddle the antimeridian alone", () => {
    expect(unwrapLongitudes([10, 20, 15])).toEqual([10, 20, 15]);
  });

  it("moves points west of the widest gap one turn east", () => {
    // Fiji: 179.9 and -179.9 are 0.2° apart across the antimeridian.
    expect(unwrapLongitudes([179.9, -179.9])).toEqual([179.9, 180.1]);
  });
});

describe("fitViewport", () => {
  it("has no viewport without points", () => {
    expect(fitViewport([], 600, 400, 20)).toBeNull();
  });

  it("zooms to street level for one point and centres it", () => {
    const viewport = fitViewport([{ latitude: 14.6, longitude: 120.98 }], 600, 400, 20);
    expect(viewport?.zoom).toBe(MAX_MAP_ZOOM);
    const at = toViewport(viewport!, { latitude: 14.6, longitude: 120.98 });
    expect(at.x).toBeCloseTo(300, 6);
    expect(at.y).toBeCloseTo(200, 6);
  });

  it("picks the closest zoom at which every point fits inside the padding", () => {
    const points = [
      { latitude: 14.6, longitude: 120.98 },
      { latitude: 14.7, longitude: 121.1 },
      { latitude: 14.4, longitude: 121.0 },
    ];
    const viewport = fitViewport(points, 600, 400, 20)!;
    for (const point of points) {
      const at = toViewport(viewport, point);
      expect(at.x).toBeGreaterThanOrEqual(20 - 1e-9);
      expect(at.x).toBeLessThanOrEqual(580 + 1e-9);
      expect(at.y).toBeGreaterThanOrEqual(20 - 1e-9);
      expect(at.y).toBeLessThanOrEqual(380 + 1e-9);
    }
    const closer = { ...viewport, zoom: viewport.zoom + 1 };
    const spanX = (z: number) =>
      project({ latitude: 0, longitude: 121.1 }, z).x -
      project({ latitude: 0, longitude: 120.98 }, z).x;
    const spanY = (z: number) =>
      project({ latitude: 14.4, longitude: 0 }, z).y -
      project({ latitude: 14.7, longitude: 0 }, z).y;
    expect(spanX(closer.zoom) > 560 || spanY(closer.zoom) > 360).toBe(true);
  });

  it("draws points either side of the antimeridian next to each other", () => {
    const west = { latitude: -17.8, longitude: 179.9 };
    const east = { latitude: -17.9, longitude: -179.9 };
    const viewport = fitViewport([west, east], 600, 400, 20)!;
    expect(viewport.zoom).toBeGreaterThan(5);
    const a = toViewport(viewport, west);
    const b = toViewport(viewport, east);
    expect(b.x).toBeGreaterThan(a.x);
    expect(b.x - a.x).toBeLessThan(560);
  });
});

describe("tilesFor", () => {
  it("covers the viewport with whole tiles and wraps columns around the world", () => {
    const viewport = { zoom: 1, width: 600, height: 400, originX: -100, originY: 50 };
    const tiles = tilesFor(viewport);
    // Columns −1, 0, 1 (wrapped to 1, 0, 1) × rows 0, 1.
    expect(tiles.map((t) => `${t.x}/${t.y}@${t.left},${t.top}`)).toEqual([
      "1/0@-156,-50",
      "0/0@100,-50",
      "1/0@356,-50",
      "1/1@-156,206",
      "0/1@100,206",
      "1/1@356,206",
    ]);
  });

  it("never asks for rows outside the world", () => {
    const tiles = tilesFor({ zoom: 0, width: 300, height: 300, originX: -22, originY: -22 });
    expect(tiles.every((t) => t.y === 0)).toBe(true);
  });
});

describe("unproject", () => {
  it("returns the place a pixel was projected from", () => {
    for (const place of [
      { latitude: 14.6, longitude: 120.98 },
      { latitude: -33.87, longitude: 151.21 },
      { latitude: 64.15, longitude: -21.94 },
    ]) {
      const back = unproject(project(place, 12), 12);
      expect(back.latitude).toBeCloseTo(place.latitude, 9);
      expect(back.longitude).toBeCloseTo(place.longitude, 9);
    }
  });
});

describe("gridStep", () => {
  it("keeps meridians at least the asked distance apart, as finely as that allows", () => {
    for (const zoom of [0, 3, 8, 12, 15]) {
      const step = gridStep(zoom, 64);
      const pixels = step * ((256 * 2 ** zoom) / 360);
      if (zoom > 0) expect(pixels).toBeGreaterThanOrEqual(64);
      expect(gridStep(zoom + 1, 64)).toBeLessThanOrEqual(step);
    }
    expect(gridStep(0)).toBe(30);
    expect(gridStep(10)).toBe(0.1);
  });
});
