import { describe, expect, it } from "vitest";
import { readSmsRequest } from "./sms-request.ts";

describe("readSmsRequest", () => {
  it.each([
    ["NEED water 20 Cubao", "en"],
    ["NECESITO agua 20 Cubao", "es"],
    ["KAILANGAN tubig 20 Cubao", "fil"],
  ] as const)("reads %s as water, 20, in Cubao", (message, language) => {
    expect(readSmsRequest(message)).toEqual({
      purpose: "request",
      language,
      category: "water",
      quantity: { amount: "20", unit: "one" },
      place: "Cubao",
      text: message,
    });
  });

  it("takes units, decimal commas, accents, case and a preposition before the place", () => {
    const read = readSmsRequest("  necesito   AGUA 2,5 litros en  San José del Monte ");
    expect(read).toMatchObject({
      purpose: "request",
      language: "es",
      category: "water",
      quantity: { amount: "2.5", unit: "litre" },
      place: "San José del Monte",
      text: "necesito AGUA 2,5 litros en San José del Monte",
    });
    expect(readSmsRequest("OFFER rice 10kg Quezon City")).toMatchObject({
      purpose: "offer",
      category: "food",
      quantity: { amount: "10", unit: "kilogram" },
      place: "Quezon City",
    });
    expect(readSmsRequest("Kailangan pañales sa Marikina").quantity).toBeNull();
    expect(readSmsRequest("Necesito pañales en Marikina")).toMatchObject({
      category: "hygiene",
      place: "Marikina",
    });
  });

  it("keeps a message outside the grammar as a request of category other, with no place", () => {
    const message = "Please we are 5 people stuck on the roof at Tumana";
    expect(readSmsRequest(message)).toEqual({
      purpose: "request",
      language: null,
      category: "other",
      quantity: null,
      place: null,
      text: message,
    });
    // A keyword alone, or a thing nobody listed: the text is what the coordinator reads.
    expect(readSmsRequest("NEED")).toMatchObject({
      language: "en",
      category: "other",
      place: null,
    });
    expect(readSmsRequest("NEED generator Cubao")).toMatchObject({
      category: "other",
      quantity: null,
      place: null,
    });
  });

  it("fills no quantity from zero, negative, huge or unit-less nonsense amounts", () => {
    expect(readSmsRequest("NEED water 0 Cubao").quantity).toBeNull();
    expect(readSmsRequest("NEED water -5 Cubao").quantity).toBeNull();
    expect(readSmsRequest("NEED water 99999999999 Cubao").quantity).toBeNull();
    expect(readSmsRequest("NEED water 20parsecs Cubao").quantity).toBeNull();
  });

  it("drops control and bidi characters, and never reads prototype names as keywords", () => {
    expect(readSmsRequest("NEED\u0000 water\u202e 20\tCubao").text).toBe("NEED water 20 Cubao");
    expect(readSmsRequest("constructor water 20 Cubao")).toMatchObject({
      language: null,
      category: "other",
      place: null,
    });
    expect(readSmsRequest("").text).toBe("");
  });
});
