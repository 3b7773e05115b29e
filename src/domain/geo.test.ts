import { describe, expect, test } from "vitest";
import {
  boundingBox,
  type Coordinates,
  coarsen,
  destinationPoint,
  haversineKm,
  inBoundingBox,
  MAX_SURFACE_DISTANCE_KM,
} from "./geo.ts";

/** A point `km` away from `from` along `bearing` degrees (the direct geodesic problem on the sphere). */
function destination(from: Coordinates, bearing: number, km: number): Coordinates {
  const r = Math.PI / 180;
  const angle = km / 6371.0088;
  const phi1 = from.latitude * r;
  const theta = bearing * r;
  const phi2 = Math.asin(
    Math.sin(phi1) * Math.cos(angle) + Math.cos(phi1) * Math.sin(angle) * Math.cos(theta),
  );
  const lambda2 =
    from.longitude * r +
    Math.atan2(
      Math.sin(theta) * Math.sin(angle) * Math.cos(phi1),
      Math.cos(angle) - Math.sin(phi1) * Math.sin(phi2),
    );
  const longitude = ((((lambda2 / r + 540) % 360) + 360) % 360) - 180;
  return { latitude: phi2 / r, longitude };
}

describe("haversineKm", () => {
  test("known distances", () => {
    // Manila to Cebu City, about 571 km.
    const manila = { latitude: 14.5995, longitude: 120.9842 };
    const cebu = { latitude: 10.3157, longitude: 123.8854 };
    expect(haversineKm(manila, cebu)).toBeGreaterThan(565);
    expect(haversineKm(manila, cebu)).toBeLessThan(575);
    expect(haversineKm(manila, manila)).toBe(0);
    // One degree of latitude.
    expect(haversineKm({ latitude: 0, longitude: 0 }, { latitude: 1, longitude: 0 })).toBeCloseTo(
      111.195,
      2,
    );
    expect(haversineKm({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 180 })).toBeCloseTo(
      MAX_SURFACE_DISTANCE_KM,
      6,
    );
  });

  test("is symmetric and takes the short way across the antimeridian", () => {
    const a = { latitude: 10, longitude: 179.9 };
    const b = { latitude: 10, longitude: -179.9 };
    expect(haversineKm(a, b)).toBeCloseTo(haversineKm(b, a), 9);
    expect(haversineKm(a, b)).toBeLessThan(25);
  });
});

describe("coarsen", () => {
  test("rounds to two decimals, as federated copies carry places", () => {
    expect(coarsen({ latitude: 14.59951, longitude: 120.98423 })).toEqual({
      latitude: 14.6,
      longitude: 120.98,
    });
    expect(coarsen({ latitude: -16.505, longitude: -179.996 })).toEqual({
      latitude: -16.5,
      longitude: -180,
    });
  });
});

describe("boundingBox", () => {
  const centers: Coordinates[] = [
    { latitude: 14.6, longitude: 121 },
    { latitude: 0, longitude: 0 },
    { latitude: -16.5, longitude: 179.95 },
    { latitude: 64.1, longitude: -179.99 },
    { latitude: 88.5, longitude: 10 },
    { latitude: -89.9, longitude: -45 },
  ];

  test("holds every point within the radius, in every direction", () => {
    for (const center of centers) {
      for (const km of [1, 50, 500, 5000]) {
        const box = boundingBox(center, km);
        for (let bearing = 0; bearing < 360; bearing += 7.5) {
          // Just inside the circle, where the box is tightest.
          const point = destination(center, bearing, km * 0.999);
          expect(haversineKm(center, point)).toBeLessThan(km);
          expect(inBoundingBox(box, point), `${JSON.stringify(center)} ${km} km ${bearing}°`).toBe(
            true,
          );
        }
      }
    }
  });

  test("is tight: points well outside the radius fall outside the box along the axes", () => {
    const center = { latitude: 14.6, longitude: 121 };
    const box = boundingBox(center, 50);
    for (const bearing of [0, 90, 180, 270]) {
      expect(inBoundingBox(box, destination(center, bearing, 55))).toBe(false);
    }
    expect(box.longitudes).not.toBeNull();
  });

  test("wraps across the antimeridian", () => {
    const box = boundingBox({ latitude: -16.5, longitude: 179.95 }, 50);
    expect(box.longitudes!.west).toBeGreaterThan(box.longitudes!.east);
    expect(inBoundingBox(box, { latitude: -16.5, longitude: -179.95 })).toBe(true);
    expect(inBoundingBox(box, { latitude: -16.5, longitude: 0 })).toBe(false);
  });

  test("spans every longitude when it reaches a pole or half the planet", () => {
    expect(boundingBox({ latitude: 89.9, longitude: 0 }, 50).longitudes).toBeNull();
    expect(boundingBox({ latitude: 0, longitude: 0 }, 20_000)).toEqual({
      minLatitude: -90,
      maxLatitude: 90,
      longitudes: null,
    });
  });
});

describe("destinationPoint", () => {
  test("lies the given distance away, in the given direction", () => {
    const manila = { latitude: 14.6, longitude: 120.98 };
    for (const bearing of [0, 45, 90, 180, 270]) {
      const there = destinationPoint(manila, 30, bearing);
      expect(haversineKm(manila, there)).toBeCloseTo(30, 6);
    }
    expect(destinationPoint(manila, 30, 0).latitude).toBeGreaterThan(manila.latitude);
    expect(destinationPoint(manila, 30, 90).longitude).toBeGreaterThan(manila.longitude);
  });

  test("wraps across the antimeridian", () => {
    const fiji = { latitude: -17.7, longitude: 179.9 };
    const east = destinationPoint(fiji, 50, 90);
    expect(east.longitude).toBeLessThan(-179);
    expect(haversineKm(fiji, east)).toBeCloseTo(50, 6);
  });
});
