import { describe, expect, it } from "vitest";
import { hasContactWays, validateContactWays } from "./contact-ways.ts";

const empty = { phone: "", email: "", address: "", hours: "" };

describe("a collective's contact ways", () => {
  it("takes every way as optional, tidies spaces and keeps the address's lines", () => {
    const result = validateContactWays({
      phone: "  +63 917  555 0101 ",
      email: " help@food.example ",
      address: "Parish hall\r\n12 Mabini St  ",
      hours: "Mon–Sat\t8:00–17:00",
    });
    expect(result).toEqual({
      ok: true,
      ways: {
        phone: "+63 917 555 0101",
        email: "help@food.example",
        address: "Parish hall\n12 Mabini St",
        hours: "Mon–Sat 8:00–17:00",
      },
    });
    const none = validateContactWays(empty);
    expect(none.ok && hasContactWays(none.ways)).toBe(false);
  });

  it("says what is wrong with each field at once", () => {
    expect(
      validateContactWays({
        phone: "call me",
        email: "help@collective",
        address: "x".repeat(301),
        hours: "y".repeat(201),
      }),
    ).toEqual({
      ok: false,
      problems: {
        phone: "invalid-phone",
        email: "invalid-email",
        address: "too-long",
        hours: "too-long",
      },
    });
    expect(validateContactWays({ ...empty, email: "a b@c.example" })).toMatchObject({
      problems: { email: "invalid-email" },
    });
    expect(validateContactWays({ ...empty, phone: "9".repeat(41) })).toMatchObject({
      problems: { phone: "too-long" },
    });
    expect(validateContactWays({ ...empty, phone: "(02) 8123-4567" }).ok).toBe(true);
  });
});
