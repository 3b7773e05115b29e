import { describe, expect, test } from "vitest";
import { boundingBox, coarsen, haversineKm, inBoundingBox } from "./geo.ts";
import {
  DEFAULT_NEAR_KM,
  MAX_NEAR_KM,
  nearSearchBox,
  parseNear,
  roundDistanceKm,
  widenBox,
} from "./near.ts";

describe("parseNear", () => {
  test("nothing given: no filter", () => {
    expect(parseNear({})).toEqual({ ok: true, near: null });
  });

  test("near and km", () => {
    expect(parseNear({ near: "14.5995,120.9842", km: "15" })).toEqual({
      ok: true,
      near: { center: { latitude: 14.5995, longitude: 120.9842 }, km: 15 },
    });
    expect(parseNear({ near: " -33.8688 , +151.2093 ", km: "0.5" })).toEqual({
      ok: true,
      near: { center: { latitude: -33.8688, longitude: 151.2093 }, km: 0.5 },
    });
  });

  test("near alone takes the default radius", () => {
    expect(parseNear({ near: "10,20" })).toEqual({
      ok: true,
      near: { center: { latitude: 10, longitude: 20 }, km: DEFAULT_NEAR_KM },
    });
  });

  test("the edges of the ranges are accepted", () => {
    for (const near of ["90,180", "-90,-180", "0,0", "-0,-0", ".5,-.5"]) {
      expect(parseNear({ near, km: String(MAX_NEAR_KM) }).ok, near).toBe(true);
    }
    const zero = parseNear({ near: "-0,-0" });
    expect(zero.ok && Object.is(zero.near?.center.latitude, 0)).toBe(true);
  });

  test.each([
    ["", "near"],
    ["14.6", "near"],
    ["14.6,", "near"],
    [",121", "near"],
    ["14.6,121,3", "near"],
    ["14.6;121", "near"],
    ["abc,def", "near"],
    ["1e1,20", "near"],
    ["0x10,20", "near"],
    ["Infinity,0", "near"],
    ["NaN,0", "near"],
    ["14.,121", "near"],
  ])("near %j is not a point", (near) => {
    expect(parseNear({ near })).toEqual({
      ok: false,
      parameter: "near",
      problem: { kind: "not-a-point", namesAccepted: false },
    });
  });

  test.each(["90.0001,0", "-91,0", "120,10"])("latitude out of range: %s", (near) => {
    expect(parseNear({ near })).toEqual({
      ok: false,
      parameter: "near",
      problem: { kind: "latitude-range" },
    });
  });

  test.each(["0,180.5", "0,-181", "10,360"])("longitude out of range: %s", (near) => {
    expect(parseNear({ near })).toEqual({
      ok: false,
      parameter: "near",
      problem: { kind: "longitude-range" },
    });
  });

  test.each(["", "abc", "-5", "1e3", "15km", "Infinity", "NaN", "1,5"])(
    "km %j is not a number of kilometres",
    (km) => {
      expect(parseNear({ near: "0,0", km })).toEqual({
        ok: false,
        parameter: "km",
        problem: { kind: "km-not-a-number" },
      });
    },
  );

  test.each(["0", "0.0", "+0"])("km %j is not greater than 0", (km) => {
    expect(parseNear({ near: "0,0", km })).toEqual({
      ok: false,
      parameter: "km",
      problem: { kind: "km-not-positive" },
    });
  });

  test.each(["20000.001", "20001", "999999"])("km %s is beyond the limit", (km) => {
    expect(parseNear({ near: "0,0", km })).toEqual({
      ok: false,
      parameter: "km",
      problem: { kind: "km-too-large", maxKm: 20000 },
    });
  });

  test("km without near", () => {
    expect(parseNear({ km: "15" })).toEqual({
      ok: false,
      parameter: "km",
      problem: { kind: "km-without-near" },
    });
  });

  test("a bad near is reported before a bad km", () => {
    const result = parseNear({ near: "x", km: "y" });
    expect(result.ok === false && result.parameter).toBe("near");
  });
});

describe("nearSearchBox", () => {
  // Every stored point whose rounded place is within km must be in the box.
  const cases = [
    { name: "mid-latitudes", center: { latitude: 14.6, longitude: 121 }, km: 15 },
    { name: "antimeridian", center: { latitude: -17.7, longitude: 179.95 }, km: 15 },
    { name: "west of it", center: { latitude: 52, longitude: -179.99 }, km: 30 },
    { name: "near a pole", center: { latitude: 89.95, longitude: 10 }, km: 15 },
    { name: "tiny radius", center: { latitude: 0, longitude: 0 }, km: 0.1 },
  ];
  test.each(cases)("holds every point whose rounded place is within km ($name)", (c) => {
    const box = nearSearchBox({ center: c.center, km: c.km });
    const step = 0.0013;
    let inside = 0;
    for (let dLat = -0.5; dLat <= 0.5; dLat += step * 7) {
      for (let dLon = -1; dLon <= 1; dLon += step * 3) {
        const latitude = c.center.latitude + dLat;
        let longitude = c.center.longitude + dLon;
        if (latitude > 90 || latitude < -90) continue;
        if (longitude > 180) longitude -= 360;
        if (longitude < -180) longitude += 360;
        const stored = { latitude, longitude };
        if (haversineKm(c.center, coarsen(stored)) > c.km) continue;
        inside++;
        expect(inBoundingBox(box, stored), JSON.stringify(stored)).toBe(true);
      }
    }
    expect(inside).toBeGreaterThan(0);
  });

  test("widening wraps across the antimeridian and gives up at full width", () => {
    expect(
      widenBox({ minLatitude: 0, maxLatitude: 1, longitudes: { west: 179, east: 179.998 } }, 0.006),
    ).toEqual({
      minLatitude: -0.006,
      maxLatitude: 1.006,
      longitudes: { west: 178.994, east: expect.closeTo(-179.996, 9) },
    });
    expect(
      widenBox(
        { minLatitude: 89.99, maxLatitude: 90, longitudes: { west: -179.999, east: 179.999 } },
        0.006,
      ),
    ).toEqual({ minLatitude: 89.984, maxLatitude: 90, longitudes: null });
    const polar = boundingBox({ latitude: -89.99, longitude: 0 }, 5);
    expect(widenBox(polar, 0.006).longitudes).toBeNull();
  });
});

test("roundDistanceKm shows a tenth of a km", () => {
  expect(roundDistanceKm(14.96)).toBe(15);
  expect(roundDistanceKm(14.94)).toBe(14.9);
  expect(roundDistanceKm(0.04)).toBe(0);
});

describe("parseNear with a gazetteer", () => {
  const findPlace = (name: string) =>
    name === "Cubao" ? { point: { latitude: 14.62, longitude: 121.05 }, label: "Cubao" } : null;

  test("names the place it does not know, for the reader's catalog to word", () => {
    expect(parseNear({ near: " Xqzzyville " }, findPlace)).toEqual({
      ok: false,
      parameter: "near",
      problem: { kind: "unknown-place", name: "Xqzzyville" },
    });
  });

  test("says a name would have done too when a gazetteer is there", () => {
    expect(parseNear({ near: "14.6;121" }, findPlace)).toEqual({
      ok: false,
      parameter: "near",
      problem: { kind: "not-a-point", namesAccepted: true },
    });
  });
});
