/**
 * "What is needed within 15 km of me?": GET /api/v1/groups/{handle}/needs
 * ?near=lat,lon&km=15 with 100,000 needs in the group, as anonymous readers
 * see it, over HTTP to the running instance. Sequential requests, so each
 * one is measured alone; the time includes the client (fetch, reading the
 * JSON body) in the same process.
 *
 * The needs are inserted directly with INSERT … SELECT generate_series,
 * deterministic (a hash of the row number, not random()):
 * - 80 % around five Philippine cities (Manila, Cebu, Davao, Iloilo,
 *   Tacloban), 16,000 each: the centre plus a sum of three uniform draws,
 *   within ±0.225° (25 km), a standard deviation of about 8 km;
 * - 15 % scattered over the archipelago (5–19° N, 117–127° E);
 * - 5 % without coordinates (never part of a near answer);
 * - 5 % of the located ones marked exact; the rest rounded when measured;
 * - 60 % open, 15 % pledged, 15 % fulfilled, 5 % closed, 5 % expired;
 *   10 % followers-only; 1 % deleted (their place cleared, as deletion does);
 * - 50,000 received needs from 100 peers at the same kind of places, the
 *   group following 10 peers (so 5,000 are in its network feed).
 *
 * Cases: the first page in central Manila (the densest spot: 13,769 rows
 * in the 15 km box, of which selectNearest's growing circles read a few
 * dozen), the same with status=open, page 5 reached through nextCursor, and
 * a sparse spot (scattered points only, so every circle up to 15 km is
 * tried), and the network feed in central Manila. The EXPLAIN (ANALYZE, BUFFERS) shown is of each statement the API
 * ran for one request, captured by a Kysely plugin, with its parameters.
 */
import {
  type CompiledQuery,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  RawNode,
  type RootOperationNode,
  sql,
  type UnknownRow,
} from "kysely";
import type { Database } from "../src/db/database.ts";
import { type Captured, compile, openWatched } from "./lib/database.ts";
import {
  type BenchInstance,
  clientFetch,
  createGroup,
  createStore,
  type Engine,
  groupId,
  onCleanup,
  startInstance,
} from "./lib/instance.ts";
import { ms, percentile } from "./lib/stats.ts";
import { explain, inlineParameters } from "./list.ts";

export interface NearOptions {
  readonly engines: readonly Engine[];
  readonly needs: number;
  /** Received needs from 100 peers, of which the group follows 10. */
  readonly remote: number;
  /** Measured requests per case. */
  readonly requests: number;
  /** Unmeasured requests before each case. */
  readonly warmup: number;
  readonly pageSize: number;
  readonly km: number;
  /** The page reached through nextCursor for the cursor case. */
  readonly deepPage: number;
}

export const DEFAULT_NEAR: NearOptions = {
  engines: ["pglite", "postgres"],
  needs: 100_000,
  remote: 50_000,
  requests: 500,
  warmup: 50,
  pageSize: 20,
  km: 15,
  deepPage: 5,
};

export interface NearCase {
  readonly name: string;
  readonly latencies: number[];
  readonly p50: number;
  readonly p99: number;
  readonly cpuMsPerRequest: number;
}

export interface NearResult {
  readonly engine: Engine;
  readonly cases: NearCase[];
  readonly notes: string[];
}

const MANILA = "14.5995,120.9842";
/** Off the coast of Palawan: only scattered points. */
const SPARSE = "9.5,118.0";

/** Records raw statements (db/near.ts runs one) while armed, so their plan can be shown. */
class RawCapture implements KyselyPlugin {
  #armed = false;
  #captured: Captured[] = [];

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (this.#armed && RawNode.is(args.node)) {
      this.#captured.push({ node: args.node, queryId: args.queryId } as unknown as Captured);
    }
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }

  async during<T>(action: () => Promise<T>): Promise<{ result: T; captured: Captured[] }> {
    this.#captured = [];
    this.#armed = true;
    try {
      return { result: await action(), captured: this.#captured };
    } finally {
      this.#armed = false;
    }
  }
}

// The places, shared by the needs and the remote rows: 80 % around one of
// five cities, 15 % scattered, 5 % none (and none for deleted rows).
const CITY = "(g / 7) % 5";
const LATITUDE = sql.raw(`CASE WHEN deleted OR place >= 95 THEN NULL
  WHEN place >= 80 THEN 5 + 14 * u1
  ELSE (ARRAY[14.5995, 10.3157, 7.1907, 10.7202, 11.2443])[1 + ${CITY}]
    + (u1 + u2 + u3 - 1.5) * 0.15 END`);
const LONGITUDE = sql.raw(`CASE WHEN deleted OR place >= 95 THEN NULL
  WHEN place >= 80 THEN 117 + 10 * u2
  ELSE (ARRAY[120.9842, 123.8854, 125.4553, 122.5621, 125.0040])[1 + ${CITY}]
    + (u4 + u5 + u6 - 1.5) * 0.15 END`);

/** Rows g = from…to with their draws (deterministic: hashes of g) and a UUIDv7-like id. */
function drawn(from: number, to: number) {
  return sql`(
    SELECT g, ts, deleted, bucket, place, u1, u2, u3, u4, u5, u6,
      substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || substr(r, 14, 3) || '-'
        || substr(r, 17, 4) || '-' || substr(r, 21, 12) AS id
    FROM (
      SELECT *, lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0') AS h,
        md5(g::text) AS r
      FROM (
        SELECT g,
          timestamptz '2026-11-01T00:00:00Z' + (g % 2592000) * interval '1 second'
            + (g / 2592000) * interval '1 millisecond' AS ts,
          (g * 7919) % 100 = 42 AS deleted,
          (g * 29 + 7) % 100 AS bucket,
          (g * 37 + 11) % 100 AS place,
          ((g * 2654435761) % 1000003) / 1000003.0 AS u1,
          ((g * 40503 + 17) % 999983) / 999983.0 AS u2,
          ((g * 69069 + 5) % 999979) / 999979.0 AS u3,
          ((g * 1103515245 + 12345) % 999961) / 999961.0 AS u4,
          ((g * 22695477 + 1) % 999953) / 999953.0 AS u5,
          ((g * 134775813 + 3) % 999931) / 999931.0 AS u6
        FROM generate_series(${from}::bigint, ${to}::bigint) AS g
      ) AS numbers
    ) AS hashed
  ) AS drawn`;
}

const STATUS = sql.raw(`CASE WHEN bucket < 60 THEN 'open' WHEN bucket < 75 THEN 'pledged'
  WHEN bucket < 90 THEN 'fulfilled' WHEN bucket < 95 THEN 'closed' ELSE 'expired' END`);

export async function insertNeeds(
  db: Kysely<Database>,
  group: string,
  count: number,
): Promise<void> {
  const batch = 20_000;
  for (let from = 1; from <= count; from += batch) {
    const to = Math.min(count, from + batch - 1);
    await sql`
      INSERT INTO proposals (id, group_id, purpose, title, description, category,
        location_name, latitude, longitude, location_exact, urgency, audience, status,
        created_at, updated_at, deleted_at)
      SELECT id, ${group}, 'request',
        CASE WHEN deleted THEN '' ELSE 'Need #' || g END,
        CASE WHEN deleted THEN '' ELSE 'Supplies for a household of ' || (2 + g % 6) END,
        'food',
        CASE WHEN deleted OR place >= 95 THEN NULL ELSE 'Place ' || g % 500 END,
        ${LATITUDE}, ${LONGITUDE},
        g % 20 = 7,
        (ARRAY['low', 'normal', 'normal', 'normal', 'high', 'critical'])[1 + g % 6],
        CASE WHEN g % 10 = 0 THEN 'followers' ELSE 'public' END,
        ${STATUS},
        ts, ts, CASE WHEN deleted THEN ts END
      FROM ${drawn(from, to)}`.execute(db);
  }
}

/**
 * Received needs from `actors` peers, the same places; the group follows
 * the first `followed` of them, so a tenth of the rows is in its feed.
 * Deleted rows are simply absent (received deletions remove the row).
 */
export async function insertRemote(
  db: Kysely<Database>,
  group: string,
  count: number,
  actors: number,
  followed: number,
): Promise<void> {
  const actor = (n: string) => sql.raw(`'https://peer' || ${n} || '.example/groups/aid'`);
  await sql`
    INSERT INTO following (id, group_id, actor_id, inbox_url, follow_activity_id, state,
      created_at, updated_at)
    SELECT md5('follow' || a), ${group}, ${actor("a")}, ${actor("a")} || '/inbox',
      'https://bench.example/follows/' || a, 'accepted', now(), now()
    FROM generate_series(0, ${followed - 1}) AS a`.execute(db);
  const batch = 20_000;
  for (let from = 1; from <= count; from += batch) {
    const to = Math.min(count, from + batch - 1);
    await sql`
      INSERT INTO remote_proposals (id, object_id, origin_actor_id, kind, purpose, title,
        summary_text, category, location_name, latitude, longitude, urgency, status,
        published_at, remote_updated_at, received_at)
      SELECT id, 'https://peer' || (g % ${actors}) || '.example/objects/' || g,
        ${actor(`(g % ${actors})`)}, 'proposal', 'request', 'Remote need #' || g, '', 'food',
        CASE WHEN place >= 95 THEN NULL ELSE 'Place ' || g % 500 END,
        ${LATITUDE}, ${LONGITUDE}, 'normal', ${STATUS}, ts, ts, ts
      FROM ${drawn(from, to)} WHERE NOT deleted`.execute(db);
  }
}

interface Page {
  items: { id: string; distanceKm: number; audience: string }[];
  nextCursor: string | null;
}

async function getPage(url: URL): Promise<Page> {
  const response = await clientFetch(url);
  if (response.status !== 200) {
    throw new Error(`GET ${url.search}: HTTP ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as Page;
}

/** Follows nextCursor to page `page`, checking the order and that nothing repeats. */
async function walkTo(base: URL, page: number, km: number): Promise<URL> {
  const seen = new Set<string>();
  let previous = -1;
  let url = new URL(base);
  for (let n = 1; n < page; n++) {
    const result = await getPage(url);
    for (const item of result.items) {
      if (seen.has(item.id)) throw new Error(`Need ${item.id} is listed twice`);
      seen.add(item.id);
      if (item.distanceKm < previous || item.distanceKm > km || item.audience !== "public") {
        throw new Error(`Page ${n} is out of order or out of range at ${item.id}`);
      }
      previous = item.distanceKm;
    }
    if (result.nextCursor === null) throw new Error(`Page ${n} is the last one`);
    url = new URL(base);
    url.searchParams.set("cursor", result.nextCursor);
  }
  return url;
}

async function measure(
  url: URL,
  warmup: number,
  requests: number,
): Promise<{ latencies: number[]; cpuMsPerRequest: number; items: number }> {
  const latencies: number[] = [];
  let cpu = process.cpuUsage();
  let items = 0;
  for (let i = 0; i < warmup + requests; i++) {
    if (i === warmup) cpu = process.cpuUsage();
    const started = performance.now();
    const page = await getPage(url);
    const ended = performance.now();
    items = page.items.length;
    if (i >= warmup) latencies.push(ended - started);
  }
  const used = process.cpuUsage(cpu);
  return { latencies, cpuMsPerRequest: (used.user + used.system) / 1000 / requests, items };
}

function planSummary(plan: readonly string[]): string {
  const text = plan.join("\n");
  const scan =
    /((?:Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan|Bitmap Index Scan)(?: using \S+)? on (?:remote_)?proposals(?:_near)?)/.exec(
      text,
    )?.[1] ?? "?";
  const index = /((?:remote_)?proposals_\w+)/.exec(text)?.[1] ?? "no index";
  const removed = [...text.matchAll(/Rows Removed by Filter: (\d+)/g)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
  const execution = /Execution Time: ([\d.]+ ms)/.exec(text)?.[1] ?? "?";
  return `${scan} (${index}), ${removed} rows removed by filter, execution ${execution}`;
}

async function runEngine(
  engine: Engine,
  options: NearOptions,
  log: (line: string) => void,
): Promise<NearResult> {
  const notes: string[] = [];
  const store = await createStore(engine);
  const capture = new RawCapture();
  let running: BenchInstance | null = null;
  const { handle, base } = await openWatched(store, [capture]);
  const unregister = onCleanup(() => base.close());
  try {
    running = await startInstance(store, { database: handle });
    const handleName = await createGroup(running, "nearby");
    const group = await groupId(running, handleName);
    const t = performance.now();
    await insertNeeds(base.db, group, options.needs);
    await insertRemote(base.db, group, options.remote, 100, 10);
    const insertSeconds = (performance.now() - t) / 1000;
    if (engine === "postgres") await sql`ANALYZE`.execute(base.db);
    const counts = await sql<{ total: number; located: number; manila: number }>`
      SELECT count(*)::int AS total,
        count(*) FILTER (WHERE latitude IS NOT NULL)::int AS located,
        count(*) FILTER (WHERE latitude BETWEEN 14.46 AND 14.74
          AND longitude BETWEEN 120.84 AND 121.13)::int AS manila
      FROM proposals WHERE group_id = ${group}`.execute(base.db);
    const { total, located, manila } = counts.rows[0]!;
    log(
      `  [${engine}] inserted ${total.toLocaleString("en")} needs in ${insertSeconds.toFixed(1)} s ` +
        `(${located.toLocaleString("en")} located; ${manila.toLocaleString("en")} in the 15 km box around Manila) ` +
        `and ${options.remote.toLocaleString("en")} remote rows from 100 peers, 10 of them followed` +
        (engine === "postgres" ? "; ANALYZE" : "; no ANALYZE (PGlite has no autovacuum)"),
    );

    const url = (near: string, extra: Record<string, string> = {}, list = "needs") => {
      const u = new URL(`/api/v1/groups/${handleName}/${list}`, running!.config.origin);
      u.searchParams.set("near", near);
      u.searchParams.set("km", String(options.km));
      u.searchParams.set("limit", String(options.pageSize));
      for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
      return u;
    };
    const first = url(MANILA);
    const deep = await walkTo(first, options.deepPage, options.km);
    log(
      `  [${engine}] pages 1–${options.deepPage - 1} walked through nextCursor: nearest first, no duplicates`,
    );
    const cases: [string, URL][] = [
      [`Manila, km=${options.km}, first page`, first],
      [`Manila, km=${options.km}, status=open`, url(MANILA, { status: "open" })],
      [`Manila, km=${options.km}, page ${options.deepPage} (cursor)`, deep],
      [`sparse spot, km=${options.km}`, url(SPARSE)],
      [`network feed, Manila, km=${options.km}`, url(MANILA, {}, "network")],
    ];
    const results: NearCase[] = [];
    for (const [name, caseUrl] of cases) {
      const m = await measure(caseUrl, options.warmup, options.requests);
      const result = {
        name,
        latencies: m.latencies,
        p50: percentile(m.latencies, 0.5),
        p99: percentile(m.latencies, 0.99),
        cpuMsPerRequest: m.cpuMsPerRequest,
      };
      results.push(result);
      log(
        `  [${engine}] ${name}: ${m.items} items; p50 ${ms(result.p50)} ms, p99 ${ms(result.p99)} ms ` +
          `over ${m.latencies.length} requests; process CPU ${ms(m.cpuMsPerRequest)} ms/request`,
      );
      // The statements of one request: selectNearest's growing circles.
      const { captured } = await capture.during(() => getPage(caseUrl));
      const queries: CompiledQuery[] = captured
        .map((c) => compile(base.db, c))
        .filter((q) => /distance_km/.test(q.sql));
      if (queries.length === 0) {
        notes.push(`${name}: could not capture the query`);
        continue;
      }
      const summaries: string[] = [];
      for (const [i, query] of queries.entries()) {
        const plan = await explain(base.db, query);
        summaries.push(`#${i + 1} ${planSummary(plan)}`);
        if (
          name.endsWith("first page") ||
          name.startsWith("network") ||
          process.env.BENCH_VERBOSE
        ) {
          log(
            `\n  EXPLAIN (ANALYZE, BUFFERS) of "${name}" on ${engine}, statement ${i + 1} of ${queries.length}, as the API ran it:`,
          );
          log(`  ${inlineParameters(query).replace(/\s+/g, " ")};`);
          for (const line of plan) log(`    ${line}`);
          log("");
        }
      }
      notes.push(`${name}: ${queries.length} statement(s): ${summaries.join("; ")}`);
    }
    return { engine, cases: results, notes };
  } finally {
    await running?.stop();
    unregister();
    await base.close();
    await store.dispose();
  }
}

export async function runNear(
  options: NearOptions,
  log: (line: string) => void,
): Promise<NearResult[]> {
  const results: NearResult[] = [];
  for (const engine of options.engines) results.push(await runEngine(engine, options, log));
  return results;
}
