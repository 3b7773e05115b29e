import {
  CompiledQuery,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
  type QueryResult,
  type RootOperationNode,
  SelectQueryNode,
  sql,
  type UnknownRow,
} from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listBoard } from "../src/db/board.repo.ts";
import type { DatabaseHandle } from "../src/db/connect.ts";
import type { Database } from "../src/db/database.ts";
import { findShortLinkTarget } from "../src/db/short-links.repo.ts";
import { URGENCY_RANK } from "../src/domain/incident.ts";
import { shortCodeOf } from "../src/domain/short-link.ts";
import { createTestDatabase, testEngine } from "./helpers/database.ts";

/**
 * Records the SELECTs run through it, to EXPLAIN exactly what the repo sent.
 * Subqueries pass through transformQuery too; only queries that returned a
 * result were executed on their own.
 */
class SelectRecorder implements KyselyPlugin {
  readonly #seen: { node: RootOperationNode; queryId: QueryId }[] = [];
  readonly #executed = new Set<QueryId>();
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (SelectQueryNode.is(args.node)) this.#seen.push(args);
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.#executed.add(args.queryId);
    return args.result;
  }
  get captured() {
    return this.#seen.filter((q) => this.#executed.has(q.queryId));
  }
}

const ROWS = 20_000;
const INCIDENT = "https://a.example/incidents/0193a000-0000-7000-8000-000000000001";

/** A UUID-shaped, lowercase id from an md5, as our ids look (8-4-4-4-12 hex). */
const uuidOf = (seed: string) =>
  sql.raw(`substr(md5(${seed}), 1, 8) || '-' || substr(md5(${seed}), 9, 4) || '-7'
    || substr(md5(${seed}), 14, 3) || '-8' || substr(md5(${seed}), 18, 3) || '-'
    || substr(md5(${seed}), 21, 12)`);

/**
 * The short links and the "my allies" board read through indexes, on both
 * engines: the plans of the statements the repo functions send, over
 * 20,000 needs and 20,000 received ones, analysed.
 */
describe(`board and short-link indexes (${testEngine})`, () => {
  let handle: DatabaseHandle;
  let db: Kysely<Database>;

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    const now = new Date("2026-11-20T00:00:00Z");
    await db
      .insertInto("groups")
      .values({
        id: "g1",
        handle: "aid",
        name: "Aid",
        summary: "",
        follow_policy: "open",
        created_at: now,
        updated_at: now,
      })
      .execute();
    await sql`
      INSERT INTO proposals (id, group_id, purpose, title, category, urgency, audience, status,
        expires_at, created_at, updated_at, deleted_at, incident_object_id)
      SELECT ${uuidOf("'p' || g")}, 'g1', CASE WHEN g % 3 = 0 THEN 'offer' ELSE 'request' END,
        'Need #' || g, 'food',
        (ARRAY['low', 'normal', 'normal', 'high', 'critical'])[1 + g % 5],
        CASE WHEN g % 10 = 0 THEN 'followers' ELSE 'public' END,
        (ARRAY['open', 'open', 'pledged', 'fulfilled', 'closed', 'open', 'expired'])[1 + g % 7],
        CASE WHEN g % 4 = 0 THEN timestamptz '2026-12-01' + g * interval '1 minute' END,
        timestamptz '2026-11-01' + g * interval '1 second',
        timestamptz '2026-11-01' + g * interval '1 second',
        CASE WHEN g % 97 = 0 THEN timestamptz '2026-11-30' END,
        CASE WHEN g % 2 = 0 THEN ${INCIDENT} END
      FROM generate_series(1, ${ROWS}) AS g`.execute(db);
    await sql`
      INSERT INTO remote_proposals (id, object_id, origin_actor_id, kind, purpose, title,
        urgency, status, published_at, remote_updated_at, received_at, incident_object_id)
      SELECT ${uuidOf("'r' || g")}, 'https://peer.example/objects/' || g,
        'https://peer.example/groups/aid', CASE WHEN g % 50 = 0 THEN 'post' ELSE 'proposal' END,
        'request', 'Remote need #' || g,
        (ARRAY['low', 'normal', 'normal', 'high', 'critical', NULL])[1 + g % 6],
        (ARRAY['open', 'open', 'pledged', 'fulfilled'])[1 + g % 4],
        timestamptz '2026-11-01' + g * interval '1 second',
        timestamptz '2026-11-01' + g * interval '1 second',
        timestamptz '2026-11-01' + g * interval '1 second',
        CASE WHEN g % 2 = 0 THEN ${INCIDENT} END
      FROM generate_series(1, ${ROWS}) AS g`.execute(db);
    // PGlite has no autovacuum; PostgreSQL's would come too late for the test.
    await sql`ANALYZE proposals`.execute(db);
    await sql`ANALYZE remote_proposals`.execute(db);
  });
  afterAll(async () => {
    await handle?.close();
  });

  /** Runs `action` on a recording view of the database, then EXPLAINs each SELECT it sent. */
  async function plansOf(action: (db: Kysely<Database>) => Promise<unknown>): Promise<string[]> {
    const recorder = new SelectRecorder();
    await action(db.withPlugin(recorder));
    const plans: string[] = [];
    for (const { node, queryId } of recorder.captured) {
      const query = db.getExecutor().compileQuery(node, queryId);
      const result = await db.executeQuery<Record<string, string>>(
        CompiledQuery.raw(`EXPLAIN ${query.sql}`, [...query.parameters]),
      );
      plans.push(result.rows.map((row) => String(Object.values(row)[0])).join("\n"));
    }
    return plans;
  }

  const idOf = async (table: "proposals" | "remote_proposals", where: string) =>
    (
      await sql<{ id: string }>`SELECT id FROM ${sql.table(table)} WHERE ${sql.raw(where)}
        ORDER BY id LIMIT 1`.execute(db)
    ).rows[0]!.id;

  it("finds a short link's row by an index on the id's suffix, not a scan", async () => {
    const local = await idOf("proposals", "audience = 'public' AND deleted_at IS NULL");
    let found: unknown;
    const localPlans = await plansOf(async (watched) => {
      found = await findShortLinkTarget(watched, shortCodeOf(local));
    });
    expect(found).toMatchObject({ kind: "local", id: local });
    expect(localPlans).toHaveLength(1);
    expect(localPlans[0]).toContain("proposals_short_code");
    expect(localPlans[0]).not.toContain("Seq Scan");

    const remote = await idOf("remote_proposals", "kind = 'proposal'");
    const { object_id, url } = await db
      .selectFrom("remote_proposals")
      .select(["object_id", "url"])
      .where("id", "=", remote)
      .executeTakeFirstOrThrow();
    const remotePlans = await plansOf(async (watched) => {
      found = await findShortLinkTarget(watched, shortCodeOf(remote));
    });
    expect(found).toEqual({ kind: "remote", objectId: object_id, url });
    // Both sides asked (ours first), each through its own index.
    expect(remotePlans).toHaveLength(2);
    expect(remotePlans[1]).toContain("remote_proposals_short_code");
    for (const plan of remotePlans) expect(plan).not.toContain("Seq Scan");
  });

  it("leads nowhere for a deleted, followers-only or post row's code", async () => {
    for (const where of ["deleted_at IS NOT NULL", "audience = 'followers'"]) {
      const id = await idOf("proposals", where);
      expect(await findShortLinkTarget(db, shortCodeOf(id))).toBeNull();
    }
    const post = await idOf("remote_proposals", "kind = 'post'");
    expect(await findShortLinkTarget(db, shortCodeOf(post))).toBeNull();
    expect(await findShortLinkTarget(db, "0000000000")).toBeNull();
  });

  it("reads the allies board's local side in board order off its index", async () => {
    let rows: Awaited<ReturnType<typeof listBoard>> | undefined;
    const plans = await plansOf(async (watched) => {
      rows = await listBoard(watched, { scope: { kind: "allies", groupId: "g1" }, limit: 200 });
    });
    // The local side is the first statement (full: no second read of its
    // fully pledged rows); the remote side follows, once or twice.
    expect(plans.length).toBeGreaterThanOrEqual(2);
    expect(plans.length).toBeLessThanOrEqual(3);
    expect(plans[0]).toContain("proposals_board");
    expect(plans[0]).not.toMatch(/Seq Scan on proposals|Sort/);

    // And in board order: urgency, needed-by soonest (none last), newest.
    const local = rows!.local.map((r) => r.proposal);
    expect(local).toHaveLength(200);
    const key = (p: (typeof local)[number]) =>
      [
        URGENCY_RANK[p.urgency] ?? 4,
        p.expiresAt === null ? Number.POSITIVE_INFINITY : p.expiresAt.epochMilliseconds,
        -p.createdAt.epochMilliseconds,
      ] as const;
    for (let i = 1; i < local.length; i++) {
      const [a, b] = [key(local[i - 1]!), key(local[i]!)];
      const inOrder =
        a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] <= b[2])));
      expect(inOrder, `row ${i}`).toBe(true);
    }
    expect(
      local.every((p) => p.urgency === "critical" && ["open", "pledged"].includes(p.status)),
    ).toBe(true);
    // One status on demand, through the same index.
    const fulfilled = await plansOf((watched) =>
      listBoard(watched, {
        scope: { kind: "allies", groupId: "g1" },
        status: "fulfilled",
        purpose: "request",
        limit: 200,
      }),
    );
    expect(fulfilled[0]).toContain("proposals_board");
  });
  it("reads both sides of a large incident's board in board order off its indexes", async () => {
    let rows: Awaited<ReturnType<typeof listBoard>> | undefined;
    const scope = { kind: "incident", incidentObjectId: INCIDENT } as const;
    const plans = await plansOf(async (watched) => {
      rows = await listBoard(watched, { scope, limit: 200 });
    });
    expect(plans).toHaveLength(2);
    expect(plans[0]).toContain("proposals_board_incident");
    expect(plans[1]).toContain("remote_proposals_board_incident");
    for (const plan of plans) expect(plan).not.toMatch(/Seq Scan|Sort/);
    expect(rows!.local).toHaveLength(200);
    expect(rows!.remote).toHaveLength(200);
    expect(rows!.local.every((r) => r.proposal.incident === INCIDENT)).toBe(true);
    expect(rows!.remote.every((r) => r.incident === INCIDENT && r.urgency === "critical")).toBe(
      true,
    );
    // The received side's order: critical first, then newest (none has a needed-by).
    const published = rows!.remote.map((r) => r.publishedAt.epochMilliseconds);
    expect(published).toEqual([...published].sort((a, b) => b - a));
    const fulfilled = await plansOf((watched) =>
      listBoard(watched, { scope, status: "fulfilled", limit: 200 }),
    );
    expect(fulfilled[1]).toContain("remote_proposals_board_incident");
  });
});
