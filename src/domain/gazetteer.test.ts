import { describe, expect, it } from "vitest";
import {
  buildGazetteer,
  type GazetteerRow,
  isClearBest,
  MAX_PLACE_QUERY,
  normalizePlaceName,
  placeLabel,
} from "./gazetteer.ts";

const row = (
  name: string,
  country: string,
  region: string,
  population: number,
  otherNames: string[] = [],
): GazetteerRow => ({
  name,
  otherNames,
  latitude: population / 1e7,
  longitude: population / 1e6,
  country,
  region,
  population,
});

const ROWS = [
  row("Quezon City", "PH", "National Capital Region", 2_761_720),
  row("Quezon", "PH", "Central Luzon", 18_451),
  row("Manila", "PH", "National Capital Region", 1_600_000),
  row("Manila", "US", "Arkansas", 3_257),
  row("Malolos", "PH", "Central Luzon", 198_748),
  row("Bogotá", "CO", "Bogota D.C.", 7_674_366, ["Bogota", "Santa Fe de Bogota"]),
  row("San Jose", "US", "California", 1_026_908),
  row("San José", "CR", "San José", 335_007),
  row("San Jose", "PH", "Mimaropa", 118_807),
  row("München", "DE", "Bavaria", 1_260_391, ["Munich"]),
];

describe("the gazetteer", () => {
  const gazetteer = buildGazetteer(ROWS, (code) => (code === "PH" ? ["philippines"] : []));
  const names = (q: string, limit = 10) =>
    gazetteer.search(q, limit).map((p) => `${p.name}/${p.country}`);

  it("folds case, accents and punctuation", () => {
    expect(normalizePlaceName("  Bogotá  ")).toBe("bogota");
    expect(normalizePlaceName("Quezon-City")).toBe("quezon city");
    expect(normalizePlaceName("SÃO PAULO")).toBe("sao paulo");
  });

  it("finds by the start of any name, exact names first, then by population", () => {
    expect(names("quezon")).toEqual(["Quezon/PH", "Quezon City/PH"]);
    expect(names("Q")).toEqual(["Quezon City/PH", "Quezon/PH"]);
    expect(names("bogota")).toEqual(["Bogotá/CO"]);
    expect(names("santa fe de")).toEqual(["Bogotá/CO"]);
    expect(names("munich")).toEqual(["München/DE"]);
    expect(names("Manila")).toEqual(["Manila/PH", "Manila/US"]);
    expect(names("Cubao")).toEqual([]);
  });

  it("narrows by region or country after a comma", () => {
    expect(names("San Jose, PH")).toEqual(["San Jose/PH"]);
    expect(names("san jose, mimaropa")).toEqual(["San Jose/PH"]);
    expect(names("Manila, Philippines")).toEqual(["Manila/PH"]);
    expect(names("Manila, Arkansas")).toEqual(["Manila/US"]);
  });

  it("keeps to the limit and answers nothing for an empty or overlong query", () => {
    // "Santa Fe de Bogota" is one of Bogotá's names.
    expect(names("s", 2)).toEqual(["Bogotá/CO", "San Jose/US"]);
    expect(names("", 5)).toEqual([]);
    expect(names(" ,PH", 5)).toEqual([]);
    expect(names(`M${"a".repeat(MAX_PLACE_QUERY)}`)).toEqual([]);
  });

  it("walks the biggest places when a prefix starts very many names", () => {
    const many = Array.from({ length: 5_000 }, (_, i) => row(`Sa${i}`, "XX", "", i));
    const big = buildGazetteer([...many, row("Sa", "XX", "", 10), row("Sab", "YY", "", 99_999)]);
    expect(big.search("sa", 3).map((p) => [p.name, p.exact])).toEqual([
      ["Sa", true],
      ["Sab", false],
      ["Sa4999", false],
    ]);
  });

  it("tells a clear best answer from a question to ask", () => {
    expect(isClearBest(gazetteer.search("Manila", 5))).toBe(true);
    expect(isClearBest(gazetteer.search("San Jose", 5))).toBe(false);
    expect(isClearBest(gazetteer.search("Quezon C", 5))).toBe(false);
    expect(placeLabel(gazetteer.search("Malolos", 1)[0]!)).toBe("Malolos, Central Luzon, PH");
  });
});
