/**
 * The offline gazetteer: how long the first search waits for it to be read,
 * the memory it adds to the process (RSS and V8 heap, after a full garbage
 * collection before and after), and the latency of searches afterwards.
 *
 * Queries are what people type: every prefix (1 character up to the whole
 * name) of 40 place names from around the world, the same with a country or
 * region after a comma, names that are not places, and near=-style exact
 * lookups; run in a fixed shuffled order, in-process (the search itself;
 * the HTTP layer adds the same as any small JSON answer).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { findNearPlace, gazetteer, gazetteerLoaded, searchPlaces } from "../src/services/places.ts";

export interface PlacesOptions {
  readonly rounds: number;
  readonly limit: number;
}

export const DEFAULT_PLACES: PlacesOptions = { rounds: 5, limit: 10 };

export interface PlacesResult {
  readonly loadMs: number;
  readonly places: number;
  readonly rssBeforeMb: number;
  readonly rssAfterMb: number;
  readonly heapBeforeMb: number;
  readonly heapAfterMb: number;
  readonly latenciesMs: number[];
  readonly queries: number;
}

const NAMES = [
  "Cubao",
  "Quezon City",
  "Manila",
  "Malolos",
  "Cebu City",
  "Davao",
  "Tacloban",
  "Iloilo",
  "San Jose",
  "San Fernando",
  "Santa Rosa",
  "Bogotá",
  "Medellín",
  "Lima",
  "Santiago",
  "São Paulo",
  "Buenos Aires",
  "Ciudad de México",
  "Guadalajara",
  "Port-au-Prince",
  "Kinshasa",
  "Lagos",
  "Nairobi",
  "Addis Ababa",
  "Cairo",
  "Istanbul",
  "Kyiv",
  "Kharkiv",
  "Berlin",
  "München",
  "Paris",
  "London",
  "Springfield",
  "Portland",
  "New Orleans",
  "Dhaka",
  "Kathmandu",
  "Jakarta",
  "Tokyo",
  "Auckland",
];

function queries(): string[] {
  const all: string[] = [];
  for (const name of NAMES) {
    for (let i = 1; i <= name.length; i++) all.push(name.slice(0, i));
    all.push(name.toLowerCase(), `${name}, PH`, `${name}, Philippines`, `${name}, Spain`);
  }
  all.push("Xqzzyville", "zzzz", "Qwerty", "a", "s", "san", "santa", "new");
  // A fixed shuffle (a linear congruential generator), so every run asks the same order.
  let seed = 42;
  for (let i = all.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = seed % (i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

const exposeGc = (): (() => void) => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
};

export function runPlaces(options: PlacesOptions, log: (line: string) => void): PlacesResult {
  if (gazetteerLoaded()) throw new Error("the gazetteer is already loaded: run places alone");
  const gc = exposeGc();
  gc();
  gc();
  const before = process.memoryUsage();
  const started = performance.now();
  const size = gazetteer().size;
  const loadMs = performance.now() - started;
  gc();
  gc();
  const after = process.memoryUsage();
  log(`read ${size.toLocaleString("en")} places in ${loadMs.toFixed(0)} ms`);
  const list = queries();
  const latenciesMs: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    for (const q of list) {
      const t = performance.now();
      searchPlaces(q, options.limit);
      findNearPlace(q);
      latenciesMs.push(performance.now() - t);
    }
  }
  return {
    loadMs,
    places: size,
    rssBeforeMb: before.rss / 2 ** 20,
    rssAfterMb: after.rss / 2 ** 20,
    heapBeforeMb: before.heapUsed / 2 ** 20,
    heapAfterMb: after.heapUsed / 2 ** 20,
    latenciesMs,
    queries: list.length,
  };
}
