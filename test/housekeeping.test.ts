import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../src/db/connect.ts";
import { jsonb } from "../src/db/json.ts";
import { toDate } from "../src/db/time.ts";
import { createAdminAccount } from "../src/services/accounts.ts";
import { createGroup } from "../src/services/groups.ts";
import { RETENTION, runHousekeeping } from "../src/services/housekeeping.ts";
import { createTestDatabase, testEngine } from "./helpers/database.ts";
import { startTestInstance } from "./helpers/instance.ts";
import { pooledKeyPairGenerator } from "./helpers/test-keys.ts";

const NOW = Temporal.Instant.from("2030-01-01T00:00:00Z");
const ago = (duration: Temporal.DurationLike) => toDate(NOW.subtract(duration));
const hours = (n: number) => ({ hours: n });
const days = (n: number) => ({ hours: n * 24 });

/** The tables that grow with traffic lose their old rows, and only those. */
describe(`housekeeping (${testEngine})`, { timeout: 120_000 }, () => {
  let handle: DatabaseHandle;
  const clock = () => NOW;

  beforeAll(async () => {
    handle = await createTestDatabase();
  });
  afterAll(async () => {
    await handle?.close();
  });

  const count = async (table: string) =>
    Number(
      (
        await sql<{ n: string | number }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(
          handle.db,
        )
      ).rows[0]?.n,
    );

  it("deletes what is past its retention, keeps what is not, in batches", async () => {
    const db = handle.db;
    const group = await createGroup(
      { db, keys: pooledKeyPairGenerator, clock },
      { handle: "food", name: "Food", summary: "", followPolicy: "open" },
    );
    if (!group.ok) throw new Error("no group");
    const groupId = group.group.id;
    const account = await createAdminAccount(
      { db, clock },
      { username: "ana", password: "a long passphrase", passwordAgain: "a long passphrase" },
    );
    if (!account.ok) throw new Error("no account");
    const accountId = account.account.id;

    // Old rows (just past each retention) and recent ones (just within it), by table.
    const failure = (failedAt: Date, n: number) => ({
      inbox_url: `https://peer.example/inbox/${n}`,
      activity_id: null,
      activity_type: "Create",
      attempts: 3,
      last_error: "timeout",
      failed_at: failedAt,
      reason: "exhausted",
    });
    await db
      .insertInto("delivery_failures")
      .values([...[1, 2, 3, 4, 5].map((n) => failure(ago(days(31)), n)), failure(ago(days(29)), 6)])
      .execute();
    const json = sql`${JSON.stringify({ cached: true })}::text::jsonb`;
    await sql`INSERT INTO fedify_kv (key, value, expires_at) VALUES
      ('["old"]', ${json}, ${ago(hours(1))}),
      ('["live"]', ${json}, ${toDate(NOW.add(hours(1)))}),
      ('["forever"]', ${json}, NULL)`.execute(db);
    const notification = (id: string, createdAt: Date, readAt: Date | null) => ({
      id,
      group_id: groupId,
      kind: "response" as const,
      subject_id: id,
      message: jsonb({ key: "new-answer", title: "An answer" }),
      created_at: createdAt,
      read_at: readAt,
      coalesce_key: null,
    });
    await db
      .insertInto("notifications")
      .values([
        notification("00000000-0000-7000-8000-000000000001", ago(days(40)), ago(days(31))),
        notification("00000000-0000-7000-8000-000000000002", ago(days(40)), ago(days(29))),
        notification("00000000-0000-7000-8000-000000000003", ago(days(181)), null),
        notification("00000000-0000-7000-8000-000000000004", ago(days(179)), null),
      ])
      .execute();
    await db
      .insertInto("sessions")
      .values([
        {
          id_digest: "expired",
          account_id: accountId,
          csrf_token: "a",
          created_at: ago(hours(13)),
          expires_at: ago(hours(1)),
        },
        {
          id_digest: "live",
          account_id: accountId,
          csrf_token: "b",
          created_at: ago(hours(1)),
          expires_at: toDate(NOW.add(hours(11))),
        },
      ])
      .execute();
    await db
      .insertInto("password_resets")
      .values([
        {
          id: "00000000-0000-7000-8000-000000000011",
          account_id: accountId,
          token_digest: "old-reset",
          created_at: ago(days(9)),
          expires_at: ago(days(8)),
          used_at: null,
        },
        {
          id: "00000000-0000-7000-8000-000000000012",
          account_id: accountId,
          token_digest: "recent-reset",
          created_at: ago(days(2)),
          expires_at: ago(days(1)),
          used_at: ago(days(2)),
        },
      ])
      .execute();
    const invitation = (id: string, expiresAt: Date, acceptedAt: Date | null) => ({
      id,
      token_digest: `digest-${id}`,
      group_id: groupId,
      for_admin: false,
      created_at: ago(days(60)),
      expires_at: expiresAt,
      accepted_at: acceptedAt,
      account_id: null,
    });
    await db
      .insertInto("invitations")
      .values([
        invitation("00000000-0000-7000-8000-000000000021", ago(days(31)), null),
        invitation("00000000-0000-7000-8000-000000000022", ago(days(29)), null),
        // Used: kept however old.
        invitation("00000000-0000-7000-8000-000000000023", ago(days(57)), ago(days(59))),
      ])
      .execute();
    await db
      .insertInto("rate_limit_hits")
      .values([
        { bucket: "intake:old", window_start: ago(hours(25)), hits: 3 },
        { bucket: "intake:now", window_start: ago(hours(1)), hits: 1 },
      ])
      .execute();
    await db
      .insertInto("sign_in_backoff")
      .values([
        {
          username: "forgotten",
          failures: 2,
          last_failure_at: ago(hours(2)),
          next_attempt_at: ago(hours(2)),
        },
        {
          username: "recent",
          failures: 2,
          last_failure_at: ago({ minutes: 10 }),
          next_attempt_at: ago({ minutes: 9 }),
        },
      ])
      .execute();
    await db
      .insertInto("relayed_changes")
      .values([
        { activity_id: "https://a.example/old", object_id: "o", relayed_at: ago(days(8)) },
        { activity_id: "https://a.example/new", object_id: "o", relayed_at: ago(days(6)) },
      ])
      .execute();
    await db
      .insertInto("undone_activities")
      .values([
        { activity_id: "https://a.example/old", actor_id: "a", undone_at: ago(days(8)) },
        { activity_id: "https://a.example/new", actor_id: "a", undone_at: ago(days(6)) },
      ])
      .execute();
    await db
      .insertInto("deleted_remote_objects")
      .values([
        { object_id: "https://a.example/old", deleted_at: ago(days(31)) },
        { object_id: "https://a.example/new", deleted_at: ago(days(29)) },
      ])
      .execute();
    await db
      .insertInto("fedify_queue_destinations")
      .values([
        { destination: "idle.example", failures: 3, parked_until: null, updated_at: ago(days(31)) },
        {
          destination: "recent.example",
          failures: 3,
          parked_until: null,
          updated_at: ago(days(1)),
        },
        {
          destination: "parked.example",
          failures: 9,
          parked_until: toDate(NOW.add(hours(1))),
          updated_at: ago(days(31)),
        },
      ])
      .execute();

    // Two rows per statement: five old delivery failures take three.
    const deleted = await runHousekeeping({ db, clock }, 2);

    expect(deleted).toMatchObject({
      delivery_failures: 5,
      fedify_kv: 1,
      notifications: 2,
      sessions: 1,
      password_resets: 1,
      invitations: 1,
      rate_limit_hits: 1,
      sign_in_backoff: 1,
      relayed_changes: 1,
      undone_activities: 1,
      deleted_remote_objects: 1,
      fedify_queue_destinations: 1,
    });
    const left = async (table: string, column: string) =>
      (
        await sql<{ v: string }>`SELECT ${sql.ref(column)}::text AS v FROM ${sql.table(table)}
          ORDER BY 1`.execute(db)
      ).rows.map((r) => r.v);
    expect(await left("delivery_failures", "inbox_url")).toEqual(["https://peer.example/inbox/6"]);
    expect(await left("fedify_kv", "key")).toEqual(['["forever"]', '["live"]']);
    expect(await left("notifications", "id")).toEqual([
      "00000000-0000-7000-8000-000000000002",
      "00000000-0000-7000-8000-000000000004",
    ]);
    expect(await left("sessions", "id_digest")).toEqual(["live"]);
    expect(await left("password_resets", "token_digest")).toEqual(["recent-reset"]);
    expect(await left("invitations", "id")).toEqual([
      "00000000-0000-7000-8000-000000000022",
      "00000000-0000-7000-8000-000000000023",
    ]);
    expect(await left("rate_limit_hits", "bucket")).toEqual(["intake:now"]);
    expect(await left("sign_in_backoff", "username")).toEqual(["recent"]);
    expect(await left("relayed_changes", "activity_id")).toEqual(["https://a.example/new"]);
    expect(await left("undone_activities", "activity_id")).toEqual(["https://a.example/new"]);
    expect(await left("deleted_remote_objects", "object_id")).toEqual(["https://a.example/new"]);
    expect(await left("fedify_queue_destinations", "destination")).toEqual([
      "parked.example",
      "recent.example",
    ]);

    // A second run finds nothing more.
    const again = await runHousekeeping({ db, clock }, 2);
    expect(Object.values(again).every((n) => n === 0)).toBe(true);
    // Every table with a rule was exercised above.
    for (const rule of RETENTION) expect(await count(rule.table)).toBeGreaterThan(0);
  });

  it("runs on a schedule in a process that runs the workers", async () => {
    const instance = await startTestInstance({ clock, jobs: { housekeepingIntervalMs: 100 } });
    try {
      await instance.database.db
        .insertInto("delivery_failures")
        .values({
          inbox_url: "https://peer.example/inbox",
          activity_id: null,
          activity_type: "Create",
          attempts: 3,
          last_error: "timeout",
          failed_at: ago(days(31)),
          reason: "exhausted",
        })
        .execute();
      await expect
        .poll(
          async () =>
            (await instance.database.db.selectFrom("delivery_failures").select("id").execute())
              .length,
          { timeout: 20_000 },
        )
        .toBe(0);
    } finally {
      await instance.stop();
    }
  });
});
