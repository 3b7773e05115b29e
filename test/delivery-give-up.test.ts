import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS, type CommandContext } from "../src/cli/admin-commands.ts";
import { testEngine } from "./helpers/database.ts";
import { addAcceptedFollower } from "./helpers/followers.ts";
import { type InboxServer, startInboxServer } from "./helpers/inbox-server.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { parsePrometheusText, sampleValue } from "./helpers/prometheus.ts";
import { pooledKeyPairGenerator } from "./helpers/test-keys.ts";

const METRICS_TOKEN = "give-up-scrape-token-0123456789";
const RETRY_DELAY_MS = 100;
const ATTEMPTS = 3;
const POLL = { timeout: 20_000, interval: 100 } as const;

/*
 * The ways a delivery ends without the peer taking it, seen from where an
 * operator looks: a follower's inbox that keeps failing (retries run out),
 * one that refuses us (403) and one that is gone (410). Each must be given
 * up on once, counted in /metrics, listed by `npm run admin -- queue`, and
 * never be tried again.
 */
describe(`deliveries given up on (${testEngine})`, () => {
  let instance: TestInstance;
  const inboxes: InboxServer[] = [];

  beforeAll(async () => {
    instance = await startTestInstance({
      env: { METRICS_TOKEN },
      // Three attempts 100 ms apart instead of 17 over 72 hours.
      retry: {
        delayFor: (attempt) =>
          attempt >= ATTEMPTS ? null : Temporal.Duration.from({ milliseconds: RETRY_DELAY_MS }),
      },
      queue: { pollIntervalMs: 100 },
    });
  });
  afterAll(async () => {
    await instance?.stop();
    for (const inbox of inboxes) await inbox.close();
  });

  async function scrape() {
    const response = await fetch(new URL("/metrics", instance.config.origin), {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(response.status).toBe(200);
    return parsePrometheusText(await response.text());
  }

  /** The `npm run admin -- queue` command, run on the instance's database; its lines. */
  async function adminQueue(): Promise<string[]> {
    const lines: string[] = [];
    const context: CommandContext = {
      db: instance.database.db,
      config: instance.config,
      clock: () => Temporal.Now.instant(),
      keys: pooledKeyPairGenerator,
      readPassword: () => Promise.reject(new Error("no password is asked for")),
      out: (line) => lines.push(line),
    };
    await COMMANDS.find((command) => command.name === "queue")!.run(["--failures", "10"], context);
    return lines;
  }

  /** A collective whose only follower's inbox answers `status` to every POST. */
  async function followedByInboxAnswering(handle: string, status: number): Promise<InboxServer> {
    const inbox = await startInboxServer(() => status);
    inboxes.push(inbox);
    expect((await instance.api("POST", "/api/v1/groups", { handle, name: handle })).status).toBe(
      201,
    );
    await addAcceptedFollower(instance.database.db, handle, inbox.inbox);
    return inbox;
  }

  async function queuedFor(inbox: URL): Promise<number> {
    const row = await instance.database.db
      .selectFrom("fedify_queue")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where(sql<string>`message->>'inbox'`, "=", inbox.href)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  it("counts, lists and stops retrying a delivery whose retries ran out, one refused and one gone", async () => {
    const before = await scrape();
    const givenUp = (exposition: typeof before, reason: string) =>
      sampleValue(exposition, "bayanihan_deliveries_given_up_total", { reason }) ?? Number.NaN;
    const failed = (exposition: typeof before) =>
      sampleValue(exposition, "bayanihan_delivery_attempts_total", { outcome: "failed" }) ??
      Number.NaN;

    const failing = await followedByInboxAnswering("failing", 500);
    const refusing = await followedByInboxAnswering("refusing", 403);
    const gone = await followedByInboxAnswering("departed", 410);
    const needs: Record<string, string> = {};
    for (const handle of ["failing", "refusing", "departed"]) {
      const created = await instance.api("POST", `/api/v1/groups/${handle}/needs`, {
        title: "Tarpaulins",
        category: "shelter",
      });
      expect(created.status).toBe(201);
      needs[handle] = ((await created.json()) as { objectId: string }).objectId;
    }

    // Given up on, each once, under its reason.
    await expect
      .poll(async () => {
        const now = await scrape();
        return ["exhausted", "refused", "gone"].map((r) => givenUp(now, r) - givenUp(before, r));
      }, POLL)
      .toEqual([1, 1, 1]);
    for (const inbox of [failing, refusing, gone]) {
      await expect.poll(() => queuedFor(inbox.inbox), POLL).toBe(0);
    }
    const given = await scrape();
    // Every attempt failed: three to the failing inbox, one to each of the others.
    expect(failed(given) - failed(before)).toBe(ATTEMPTS + 1 + 1);
    // Nobody took anything.
    for (const inbox of [failing, refusing, gone]) expect(inbox.accepted()).toEqual([]);

    // What the operator's `npm run admin -- queue` shows.
    const lines = await adminQueue();
    const failureLine = (inbox: InboxServer) =>
      lines.find((line) => line.includes(inbox.inbox.href)) ?? "";
    expect(failureLine(failing)).toMatch(
      new RegExp(`\\bexhausted\\b.*#create.* after ${ATTEMPTS} attempt\\(s\\): .*500`),
    );
    expect(failureLine(refusing)).toMatch(/\brefused\b.*#create.* after 1 attempt\(s\): .*403/);
    expect(failureLine(gone)).toMatch(/\bgone\b.*#create.* after 1 attempt\(s\): .*410/);
    expect(failureLine(failing)).toContain(needs.failing);

    // No retry after the give-up: ten retry delays later, nothing more
    // reached the inboxes, and nothing was counted again.
    const posts = [failing, refusing, gone].map((inbox) => inbox.posts().length);
    await new Promise((resolve) => setTimeout(resolve, 10 * RETRY_DELAY_MS + 500));
    expect([failing, refusing, gone].map((inbox) => inbox.posts().length)).toEqual(posts);
    const later = await scrape();
    expect(failed(later)).toBe(failed(given));
    for (const reason of ["exhausted", "refused", "gone"]) {
      expect(givenUp(later, reason)).toBe(givenUp(given, reason));
    }
    const rows = await instance.database.db
      .selectFrom("delivery_failures")
      .select(["inbox_url", "reason", "attempts"])
      .orderBy("inbox_url")
      .execute();
    expect(rows.map((row) => [row.inbox_url, row.reason, row.attempts]).sort()).toEqual(
      [
        [failing.inbox.href, "exhausted", ATTEMPTS],
        [refusing.inbox.href, "refused", 1],
        [gone.inbox.href, "gone", 1],
      ].sort(),
    );
  });
});
