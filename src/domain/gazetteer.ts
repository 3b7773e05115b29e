/**
 * A gazetteer searched in memory: place names to points, with no network.
 * Built once from rows (GeoNames' cities, see `services/places.ts`) into a
 * sorted array of normalised names, so that a search is a binary search for
 * the typed prefix and a scan of the names that start with it, ranked exact
 * name first, then by population (the place people most likely mean).
 */

/** One place as the gazetteer keeps it. */
export interface GazetteerRow {
  readonly name: string;
  /** Other spellings it can be found by (ASCII form, exonyms), shown never. */
  readonly otherNames: readonly string[];
  readonly latitude: number;
  readonly longitude: number;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
  /** First-level administrative division, "" when unknown. */
  readonly region: string;
  readonly population: number;
}

/** A search answer. */
export interface Place {
  readonly name: string;
  readonly latitude: number;
  readonly longitude: number;
  readonly country: string;
  readonly region: string | null;
  readonly population: number;
  /** Whether the typed name (before any comma) is this place's name, not only a start of it. */
  readonly exact: boolean;
}

export interface Gazetteer {
  readonly size: number;
  search(query: string, limit: number): Place[];
}

const SEPARATOR = "\u0001";

/** Past this many names with the prefix, the search walks the biggest places instead of the names. */
const WIDE_RANGE = 2_000;

/** The longest query searched: longer ones are refused by the callers, never scanned. */
export const MAX_PLACE_QUERY = 200;

/**
 * Case, accents and punctuation folded away: "Bogotá" and "bogota",
 * "Quezon-City" and "quezon city" are the same key.
 */
export function normalizePlaceName(text: string): string {
  // Most names are plain ASCII already: no need to decompose them.
  if (/^[\x20-\x7e]*$/.test(text)) {
    return text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, " ")
      .trim();
  }
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/**
 * `countryNames(code)`: the normalised names a qualifier after a comma may
 * give for a country ("Manila, Philippines"), besides its code.
 */
export function buildGazetteer(
  rows: Iterable<GazetteerRow>,
  countryNames: (code: string) => readonly string[] = () => [],
): Gazetteer {
  const names: string[] = [];
  const countries: string[] = [];
  const regions: string[] = [];
  const latitudes: number[] = [];
  const longitudes: number[] = [];
  const populations: number[] = [];
  const entryKeys: string[] = [];
  const entryPlaces: number[] = [];
  for (const row of rows) {
    const place = names.length;
    names.push(row.name);
    countries.push(row.country);
    regions.push(row.region);
    latitudes.push(row.latitude);
    longitudes.push(row.longitude);
    populations.push(row.population);
    const own: string[] = [];
    for (const n of [row.name, ...row.otherNames]) {
      const key = normalizePlaceName(n);
      if (key === "" || own.includes(key)) continue;
      own.push(key);
      entryKeys.push(key);
      entryPlaces.push(place);
    }
  }
  // "key\u0001place", sorted by the engine's own string sort (no callback:
  // several times faster on 250,000 names). \u0001 sorts below every
  // character a key has, so a name comes before the longer names it starts.
  // The tagged strings stay the keys: a prefix search still finds them.
  const keys = entryKeys.map((key, i) => `${key}${SEPARATOR}${entryPlaces[i]}`).sort();
  entryKeys.length = 0;
  const keyPlace = Int32Array.from(keys, (entry) =>
    Number(entry.slice(entry.lastIndexOf(SEPARATOR) + 1)),
  );
  // The same entries biggest place first: a short prefix ("s") takes its
  // answers from the top of this instead of scanning a tenth of the world.
  // Population and entry packed in one double (both well under 2^26), sorted natively.
  const packed = Float64Array.from(
    keyPlace,
    (place, i) => -(populations[place]! * 2 ** 20) + i,
  ).sort();
  const byPopulation = Uint32Array.from(packed, (v) => ((v % 2 ** 20) + 2 ** 20) % 2 ** 20);
  const lat = Float64Array.from(latitudes);
  const lon = Float64Array.from(longitudes);
  const pop = Float64Array.from(populations);
  // Countries and regions as small numbers, so that a qualifier after a
  // comma is worked out once per query over the few thousand regions and
  // the check per place is two array reads.
  const intern = (values: readonly string[]) => {
    const ids = new Map<string, number>();
    const of = Uint32Array.from(values, (v) => {
      let id = ids.get(v);
      if (id === undefined) {
        id = ids.size;
        ids.set(v, id);
      }
      return id;
    });
    return { of, distinct: [...ids.keys()] };
  };
  const countryIds = intern(countries);
  const regionIds = intern(regions);
  const countryMatchKeys = countryIds.distinct.map((code) => ({
    code: code.toLowerCase(),
    names: countryNames(code),
  }));
  const regionMatchKeys = regionIds.distinct.map(normalizePlaceName);

  /** Per qualifier ("Bulacan", "PH", "Philippines"): which countries and regions it names. */
  const qualifierMatches = (qualifiers: readonly string[]) =>
    qualifiers.map((q) => ({
      countries: countryMatchKeys.map((c) => c.code === q || c.names.some((n) => n.startsWith(q))),
      regions: regionMatchKeys.map((r) => r !== "" && r.startsWith(q)),
    }));
  // Places already offered in this search: stamped with the search's number, never cleared.
  const seenIn = new Uint32Array(names.length);
  let searchNumber = 0;

  const better = (a: { place: number; exact: boolean }, b: { place: number; exact: boolean }) =>
    a.exact !== b.exact ? a.exact : pop[a.place]! > pop[b.place]!;
  /** Whether entry (known to start with prefix) is the prefix itself, then its tag. */
  const isExact = (entry: number, prefix: string) =>
    keys[entry]!.charCodeAt(prefix.length) === SEPARATOR.charCodeAt(0);
  const lowerBound = (key: string) => {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  function search(query: string, limit: number): Place[] {
    if (limit <= 0 || query.length > MAX_PLACE_QUERY) return [];
    const [head = "", ...rest] = query.split(",");
    const prefix = normalizePlaceName(head);
    if (prefix === "") return [];
    const qualifiers = qualifierMatches(rest.map(normalizePlaceName).filter((q) => q !== ""));
    const qualifies = (place: number) =>
      qualifiers.every(
        (q) =>
          q.countries[countryIds.of[place]!] === true || q.regions[regionIds.of[place]!] === true,
      );
    const stamp = ++searchNumber;
    const lo = lowerBound(prefix);
    // Past the last key that starts with the prefix.
    const hi = lowerBound(`${prefix}\u{10ffff}`);
    // Best `limit` so far, best first: a short insertion list beats sorting the range.
    const best: { place: number; exact: boolean }[] = [];
    const offer = (entry: number) => {
      const place = keyPlace[entry]!;
      // Keys equal to the prefix sort first, so a place's exact name is met
      // before any longer one: a place met again has nothing better to add.
      if (seenIn[place] === stamp) return;
      seenIn[place] = stamp;
      if (qualifiers.length > 0 && !qualifies(place)) return;
      const candidate = { place, exact: isExact(entry, prefix) };
      if (best.length === limit && !better(candidate, best[limit - 1]!)) return;
      let at = best.length;
      while (at > 0 && better(candidate, best[at - 1]!)) at--;
      best.splice(at, 0, candidate);
      if (best.length > limit) best.pop();
    };
    if (hi - lo <= WIDE_RANGE) {
      for (let i = lo; i < hi; i++) offer(i);
    } else {
      // Exact names first (they lead the range), then the biggest places
      // that start with the prefix, until the list is full.
      for (let i = lo; i < hi && isExact(i, prefix); i++) offer(i);
      for (let j = 0; j < byPopulation.length && best.length < limit; j++) {
        const entry = byPopulation[j]!;
        if (entry >= lo && entry < hi) offer(entry);
      }
    }
    return best.map(({ place, exact }) => ({
      name: names[place]!,
      latitude: lat[place]!,
      longitude: lon[place]!,
      country: countries[place]!,
      region: regions[place] === "" ? null : regions[place]!,
      population: pop[place]!,
      exact,
    }));
  }

  return { size: names.length, search };
}

/**
 * Whether the first answer is clearly the place meant: its name is the one
 * typed and no other place of that name comes near it in size (a twentieth
 * or more of its population). "Manila" is the capital; "San Jose" is a
 * question to ask.
 */
export function isClearBest(places: readonly Place[]): boolean {
  const [first, second] = places;
  if (first === undefined || !first.exact) return false;
  if (second === undefined || !second.exact) return true;
  return second.population * 20 <= first.population;
}

/** "Quezon City, National Capital Region, PH": enough to tell two places apart. */
export function placeLabel(place: Pick<Place, "name" | "region" | "country">): string {
  return [place.name, place.region, place.country].filter((p) => p !== null && p !== "").join(", ");
}
