import { describe, expect, it } from "vitest";
import { hashPassword, SCRYPT_PARAMETERS, verifyPassword } from "./passwords.ts";

describe("password hashing", () => {
  it("hashes with scrypt, a fresh salt each time, and the parameters in the hash", async () => {
    const a = await hashPassword("correct horse battery staple");
    const b = await hashPassword("correct horse battery staple");
    expect(a).not.toBe(b);
    const [scheme, n, r, p, salt, hash] = a.split("$");
    expect([scheme, Number(n), Number(r), Number(p)]).toEqual([
      "scrypt",
      SCRYPT_PARAMETERS.N,
      SCRYPT_PARAMETERS.r,
      SCRYPT_PARAMETERS.p,
    ]);
    expect(Buffer.from(salt!, "base64url")).toHaveLength(SCRYPT_PARAMETERS.saltLength);
    expect(Buffer.from(hash!, "base64url")).toHaveLength(SCRYPT_PARAMETERS.keyLength);
    expect(a).not.toContain("horse");
  });

  it("verifies the right password only", async () => {
    const encoded = await hashPassword("año nuevo, vida nueva");
    expect(await verifyPassword("año nuevo, vida nueva", encoded)).toBe(true);
    // The same text in another Unicode form is the same password.
    expect(await verifyPassword("año nuevo, vida nueva".normalize("NFD"), encoded)).toBe(true);
    expect(await verifyPassword("ano nuevo, vida nueva", encoded)).toBe(false);
    expect(await verifyPassword("x", "md5$abc")).toBe(false);
  });

  it("keeps verifying hashes made with other parameters", async () => {
    const encoded = await hashPassword("a long enough password");
    const [, , , , salt] = encoded.split("$");
    // A hash written with N=2^14 (as if the parameters were raised since).
    const { scryptSync } = await import("node:crypto");
    const key = scryptSync("a long enough password", Buffer.from(salt!, "base64url"), 32, {
      N: 2 ** 14,
      r: 8,
      p: 1,
    });
    const older = ["scrypt", 2 ** 14, 8, 1, salt, key.toString("base64url")].join("$");
    expect(await verifyPassword("a long enough password", older)).toBe(true);
  });
});
