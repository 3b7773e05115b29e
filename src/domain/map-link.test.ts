import { describe, expect, it } from "vitest";
import { parseCoordinates, readPlaceInput } from "./map-link.ts";

const at = (latitude: number, longitude: number, label: string | null = null) => ({
  kind: "point",
  source: "link",
  point: { latitude, longitude },
  label,
});

describe("readPlaceInput: what was pasted into a place field", () => {
  it("reads OpenStreetMap links: the marker before the view", () => {
    expect(readPlaceInput("https://www.openstreetmap.org/#map=17/14.61770/121.05370")).toEqual(
      at(14.6177, 121.0537),
    );
    expect(
      readPlaceInput(
        "https://www.openstreetmap.org/?mlat=14.6200&mlon=121.0500#map=15/14.6000/121.0000",
      ),
    ).toEqual(at(14.62, 121.05));
    expect(readPlaceInput("https://osm.org/#map=12/-33.8688/151.2093&layers=H")).toEqual(
      at(-33.8688, 151.2093),
    );
    expect(readPlaceInput("https://www.openstreetmap.org/node/123456")).toEqual({
      kind: "no-point",
    });
  });

  it("reads Google Maps links: the place's own pin, the view, or coordinates in q", () => {
    expect(
      readPlaceInput(
        "https://www.google.com/maps/place/Araneta+City/@14.6195,121.0510,17z/data=!3m1!4b1!4m6!3m5!1s0x0:0x0!8m2!3d14.6206!4d121.0532",
      ),
    ).toEqual(at(14.6206, 121.0532, "Araneta City"));
    expect(readPlaceInput("https://www.google.com.ph/maps/@14.5995,120.9842,15z")).toEqual(
      at(14.5995, 120.9842),
    );
    expect(readPlaceInput("https://maps.google.com/?q=14.6,121.05")).toEqual(at(14.6, 121.05));
    expect(
      readPlaceInput("https://www.google.com/maps/search/?api=1&query=-12.0464,-77.0428"),
    ).toEqual(at(-12.0464, -77.0428));
    expect(readPlaceInput("https://www.google.com/maps/place/14.65,121.03")).toEqual(
      at(14.65, 121.03),
    );
  });

  it("says a short link or a search by name has no point (it cannot be followed offline)", () => {
    expect(readPlaceInput("https://maps.app.goo.gl/AbCdEf123")).toEqual({ kind: "no-point" });
    expect(readPlaceInput("https://www.google.com/maps/search/Cubao")).toEqual({
      kind: "no-point",
    });
  });

  it("reads geo: URIs (RFC 5870) and Android's marked point", () => {
    expect(readPlaceInput("geo:14.6177,121.0537")).toEqual(at(14.6177, 121.0537));
    expect(readPlaceInput("geo:14.6177,121.0537,12;u=35?z=17")).toEqual(at(14.6177, 121.0537));
    expect(readPlaceInput("geo:0,0?q=14.62,121.05(Rizal Street clinic)")).toEqual(
      at(14.62, 121.05, "Rizal Street clinic"),
    );
    expect(readPlaceInput("geo:0,0?q=Cubao")).toEqual({ kind: "no-point" });
    expect(readPlaceInput("geo:14.6,121.0;crs=nad27")).toEqual({ kind: "no-point" });
    expect(readPlaceInput("geo:95,121")).toEqual({ kind: "no-point" });
  });

  it("refuses links that are not map links", () => {
    for (const text of [
      "https://example.com/maps/@14.6,121.0,15z",
      "https://evil.google.com.attacker.example/maps/@14.6,121.0,15z",
      "https://www.google.com/search?q=14.6,121.0",
      "ftp://www.openstreetmap.org/#map=17/14.6/121.0",
      "javascript://alert(1)",
      "https://",
    ]) {
      expect(readPlaceInput(text), text).toEqual({ kind: "not-a-map-link" });
    }
  });

  it("reads typed coordinates, and anything else as a name", () => {
    expect(readPlaceInput(" 14.6177, 121.0537 ")).toEqual({
      kind: "point",
      source: "coordinates",
      point: { latitude: 14.6177, longitude: 121.0537 },
      label: null,
    });
    expect(readPlaceInput("Cubao")).toEqual({ kind: "name", name: "Cubao" });
    expect(readPlaceInput("91, 10")).toEqual({ kind: "name", name: "91, 10" });
    expect(readPlaceInput("   ")).toEqual({ kind: "empty" });
    expect(parseCoordinates("14.6 121.05")).toEqual({ latitude: 14.6, longitude: 121.05 });
    expect(parseCoordinates("14.6,181")).toBeNull();
  });
});
