import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngine } from "../../test/helpers/database.ts";
import type { DatabaseHandle } from "../db/connect.ts";
import { backoffSeconds } from "../domain/sign-in-backoff.ts";
import { acceptInvitation, createInvitation, login } from "./accounts.ts";
import { LOGIN_FAILURES_BY_USER_AND_ADDRESS, SIGN_IN_BACKOFF } from "./sign-in-limits.ts";

/**
 * Sign-in limits: someone guessing a coordinator's password stops only
 * themselves, and guesses from many addresses slow the username down
 * without locking it.
 */
// Every sign-in attempt costs a scrypt verification: dozens per test.
describe(`sign-in limits (${testEngine})`, { timeout: 180_000 }, () => {
  let handle: DatabaseHandle;
  // Moved by the tests; each starts on a fresh 15-minute window and a
  // username of its own, so counts do not carry over.
  let now = Temporal.Instant.from("2026-12-08T09:00:00Z");
  const deps = () => ({ db: handle.db, clock: () => now });
  const password = "the real passphrase";
  let username: string;
  let serial = 0;

  const attempt = (from: string, typed: string) =>
    login(deps(), { username, password: typed }, from);

  beforeAll(async () => {
    handle = await createTestDatabase();
  });
  beforeEach(async () => {
    now = now.add({ hours: 2 });
    username = `coordinator${++serial}`;
    const invitation = await createInvitation(deps(), null);
    const accepted = await acceptInvitation(deps(), invitation.token, {
      username,
      password,
      passwordAgain: password,
    });
    expect(accepted.ok).toBe(true);
  });
  afterAll(async () => {
    await handle.close();
  });

  it("does not stop the coordinator at another address when one address keeps guessing", async () => {
    const results = [];
    for (let i = 0; i < 3 * LOGIN_FAILURES_BY_USER_AND_ADDRESS.limit; i++) {
      results.push((await attempt("198.51.100.7", `guess ${i}`)).ok);
    }
    expect(results.every((ok) => ok === false)).toBe(true);
    const real = await attempt("203.0.113.20", password);
    expect(real.ok).toBe(true);
  });

  it("still stops the guessing address, even when it then types the right password", async () => {
    for (let i = 0; i < LOGIN_FAILURES_BY_USER_AND_ADDRESS.limit; i++) {
      expect(await attempt("198.51.100.7", `guess ${i}`)).toEqual({ ok: false, reason: "invalid" });
    }
    const blocked = await attempt("198.51.100.7", password);
    expect(blocked).toMatchObject({ ok: false, reason: "rate-limited" });
    if (blocked.ok || blocked.reason !== "rate-limited") throw new Error("not limited");
    expect(blocked.retryAfterSeconds).toBeGreaterThan(0);
    expect(blocked.retryAfterSeconds).toBeLessThanOrEqual(
      LOGIN_FAILURES_BY_USER_AND_ADDRESS.windowSeconds,
    );
    // The same address may still sign in as someone else it knows the password of.
    expect((await attempt("203.0.113.20", password)).ok).toBe(true);
  });

  it("slows guesses from many addresses with a growing wait, never a lock", async () => {
    // Each address stays under its own limit; together they pass the free failures.
    for (let i = 0; i < SIGN_IN_BACKOFF.free; i++) {
      expect((await attempt(`192.0.2.${i}`, `guess ${i}`)).ok).toBe(false);
    }
    const firstWait = backoffSeconds(SIGN_IN_BACKOFF, SIGN_IN_BACKOFF.free);
    expect(firstWait).toBeGreaterThan(0);
    // Right away, any address (the coordinator's too) waits.
    const waiting = await attempt("203.0.113.20", password);
    expect(waiting).toEqual({ ok: false, reason: "rate-limited", retryAfterSeconds: firstWait });

    // Each further guess doubles the wait, up to the cap.
    let wait = firstWait;
    for (let i = 0; i < 7; i++) {
      now = now.add({ seconds: wait });
      expect(await attempt(`192.0.2.${100 + i}`, `late guess ${i}`)).toEqual({
        ok: false,
        reason: "invalid",
      });
      const next = backoffSeconds(SIGN_IN_BACKOFF, SIGN_IN_BACKOFF.free + 1 + i);
      expect(next).toBe(Math.min(SIGN_IN_BACKOFF.capSeconds, wait * 2));
      const refused = await attempt(`192.0.2.${200 + i}`, `too soon ${i}`);
      expect(refused).toEqual({ ok: false, reason: "rate-limited", retryAfterSeconds: next });
      wait = next;
    }
    expect(wait).toBe(SIGN_IN_BACKOFF.capSeconds);

    // After the wait, the right password signs in, and ends the run.
    now = now.add({ seconds: wait });
    expect((await attempt("203.0.113.20", password)).ok).toBe(true);
    expect((await attempt("192.0.2.250", "one more guess")).ok).toBe(false);
    expect((await attempt("203.0.113.20", password)).ok).toBe(true);
  });

  it("lets only one of concurrent attempts take a slot of the wait", async () => {
    for (let i = 0; i < SIGN_IN_BACKOFF.free; i++) {
      await attempt(`192.0.2.${i}`, `guess ${i}`);
    }
    now = now.add({ seconds: backoffSeconds(SIGN_IN_BACKOFF, SIGN_IN_BACKOFF.free) });
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => attempt(`198.51.100.${i}`, `burst ${i}`)),
    );
    expect(results.filter((r) => !r.ok && r.reason === "invalid")).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === "rate-limited")).toHaveLength(4);
  });

  it("forgets a run of failures after an hour without another", async () => {
    for (let i = 0; i < SIGN_IN_BACKOFF.free; i++) {
      await attempt(`192.0.2.${i}`, `guess ${i}`);
    }
    expect((await attempt("203.0.113.20", password)).ok).toBe(false);
    now = now.add({ seconds: SIGN_IN_BACKOFF.forgetAfterSeconds + 1 });
    expect((await attempt("192.0.2.1", "new guess")).ok).toBe(false);
    const row = await handle.db
      .selectFrom("sign_in_backoff")
      .select("failures")
      .where("username", "=", username)
      .executeTakeFirstOrThrow();
    expect(row.failures).toBe(1);
    expect((await attempt("203.0.113.20", password)).ok).toBe(true);
  });
});
