/**
 * Digest building: 1,000 coordinators of one collective, each choosing a
 * daily digest of new requests, and 50 new requests. Measured in two steps,
 * as the worker runs them:
 *
 * 1. fan-out: the 50 recorded events become 50,000 digest entries
 *    (fanOutEmailEvents, 50 events per transaction);
 * 2. digests: once the period is over, 1,000 digest emails of 50 entries
 *    each are written to the outbox (sendDueDigests, one transaction per
 *    coordinator).
 *
 * Time and the process's memory (RSS and JS heap growth; for PGlite the
 * database lives in the same process). Sending is not measured: that is
 * the mail server's speed.
 *
 *   npm exec -- node bench/digests.ts [--engines=pglite,postgres] [--coordinators=1000] [--events=50]
 */
import "../src/polyfill.ts";
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { type DatabaseHandle, openPGlite, openPostgres } from "../src/db/connect.ts";
import { recordEmailEvent } from "../src/db/coordinator-email.repo.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { fanOutEmailEvents, sendDueDigests } from "../src/services/coordinator-emails.ts";
import { cleanupAll, createStore, type Engine, postgresAvailable } from "./lib/instance.ts";
import { configureBenchLogging } from "./lib/logging.ts";

function option(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
}

const engines = option("engines", "pglite,postgres").split(",") as Engine[];
const coordinators = Number(option("coordinators", "1000"));
const events = Number(option("events", "50"));
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function open(engine: Engine): Promise<{ handle: DatabaseHandle; dispose(): Promise<void> }> {
  if (engine === "pglite") {
    const handle = await openPGlite();
    return { handle, dispose: () => handle.close() };
  }
  const store = await createStore("postgres");
  const handle = openPostgres({ url: store.location, maxConnections: 4 });
  return {
    handle,
    async dispose() {
      await handle.close();
      await store.dispose();
    },
  };
}

async function run(engine: Engine): Promise<void> {
  const { handle, dispose } = await open(engine);
  try {
    const db = handle.db;
    await migrateToLatest(db);
    const start = Temporal.Instant.from("2026-12-10T08:00:00Z");
    const groupId = randomUUID();
    await db
      .insertInto("groups")
      .values({
        id: groupId,
        handle: "food",
        name: "Food collective",
        summary: "",
        follow_policy: "open",
        time_zone: null,
        created_at: new Date(start.epochMilliseconds),
        updated_at: new Date(start.epochMilliseconds),
      })
      .execute();
    // Accounts, their confirmed addresses and their choice, half in each language.
    await sql`
      INSERT INTO accounts (id, username, password_hash, created_at, updated_at, language)
      SELECT 'acct-' || i, 'coordinator' || i, 'x', now(), now(), CASE WHEN i % 2 = 0 THEN 'en' ELSE 'es' END
      FROM generate_series(1, ${coordinators}) AS i`.execute(db);
    await sql`
      INSERT INTO account_groups (account_id, group_id)
      SELECT 'acct-' || i, ${groupId} FROM generate_series(1, ${coordinators}) AS i`.execute(db);
    await sql`
      INSERT INTO account_emails (account_id, address, confirmed_at, updated_at)
      SELECT 'acct-' || i, 'coordinator' || i || '@example.org', now(), now()
      FROM generate_series(1, ${coordinators}) AS i`.execute(db);
    await sql`
      INSERT INTO email_preferences (account_id, kind, frequency)
      SELECT 'acct-' || i, 'new-request', 'daily' FROM generate_series(1, ${coordinators}) AS i`.execute(
      db,
    );
    for (let i = 0; i < events; i++) {
      await recordEmailEvent(db, {
        kind: "new-request",
        groupId,
        eventKey: `bench:${i}`,
        message: {
          key: "new-request",
          purpose: "request",
          title: `Drinking water for ${i + 10} families near the chapel`,
        },
        path: "triage",
        createdAt: start.add({ minutes: i }),
      });
    }
    let now = start.add({ hours: 1 });
    const deps = {
      db,
      clock: () => now,
      origin: new URL("https://aid.example"),
      timeZone: "Asia/Manila",
    };
    // Before the first daily cutoff: nothing is due yet.
    globalThis.gc?.();
    const before = process.memoryUsage();
    let t = performance.now();
    await fanOutEmailEvents(deps);
    const fanOutMs = performance.now() - t;
    const afterFanOut = process.memoryUsage();
    const entries = Number(
      (
        await db
          .selectFrom("digest_entries")
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
    now = start.add({ hours: 24 });
    t = performance.now();
    const written = await sendDueDigests(deps);
    const digestMs = performance.now() - t;
    const after = process.memoryUsage();
    const sizes = await db
      .selectFrom("outbound_messages")
      .select((eb) => [
        eb.fn.countAll<string>().as("n"),
        sql<string>`avg(length(body_text) + length(coalesce(body_html, '')))`.as("bytes"),
      ])
      .executeTakeFirstOrThrow();
    console.log(
      `${engine}: ${coordinators} coordinators × ${events} events\n` +
        `  fan-out: ${entries} digest entries in ${fanOutMs.toFixed(0)} ms` +
        ` (RSS +${mb(afterFanOut.rss - before.rss)}, heap +${mb(afterFanOut.heapUsed - before.heapUsed)})\n` +
        `  digests: ${written} emails in ${digestMs.toFixed(0)} ms` +
        ` (${(digestMs / Math.max(1, written)).toFixed(2)} ms each; RSS +${mb(after.rss - afterFanOut.rss)},` +
        ` heap +${mb(after.heapUsed - afterFanOut.heapUsed)}; peak RSS ${mb(after.rss)})\n` +
        `  outbox: ${sizes.n} messages, ${Number(sizes.bytes).toFixed(0)} bytes of text + HTML each on average`,
    );
  } finally {
    await dispose();
  }
}

await configureBenchLogging();
for (const engine of engines) {
  if (engine === "postgres" && (await postgresAvailable()) === null) {
    console.log("postgres: no server at BENCH_POSTGRES_URL, skipped");
    continue;
  }
  await run(engine);
}
await cleanupAll();
