/**
 * Needs-list latency: GET /api/v1/groups/{handle}/needs?status=open with
 * 100,000 needs in the group, first page and a page deep in the list (page
 * 50, reached through nextCursor), as anonymous readers see it, over HTTP to
 * the running instance. Sequential requests, so each one is measured alone;
 * the time includes the client (fetch, reading the JSON body) in the same
 * process.
 *
 * The needs are inserted directly with INSERT … SELECT generate_series:
 * 60 % open, 15 % pledged, 15 % fulfilled, 5 % closed, 5 % expired; 10 %
 * followers-only, 1 % deleted; created_at spread over the last 180 days
 * (millisecond precision, as the server writes it) with UUIDv7 ids.
 *
 * The instance runs on a DatabaseHandle of our own that captures the SQL it
 * sends (a Kysely plugin), so the EXPLAIN shown is of the exact query the API
 * ran, with its parameters.
 */
import { constants, PerformanceObserver } from "node:perf_hooks";
import {
  type CompiledQuery,
  CompiledQuery as CompiledQueryFactory,
  type Kysely,
  sql,
} from "kysely";
import type { Database } from "../src/db/database.ts";
import { CATEGORY_SLUGS } from "../src/domain/categories.ts";
import { compile, openWatched, SelectCapture } from "./lib/database.ts";
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

export interface ListOptions {
  readonly engines: readonly Engine[];
  readonly needs: number;
  /** Measured requests per case. */
  readonly requests: number;
  /** Unmeasured requests before each case. */
  readonly warmup: number;
  /** The deep page to measure, reached by following nextCursor. */
  readonly deepPage: number;
  readonly pageSize: number;
  readonly targetP99Ms: number;
}

export const DEFAULT_LIST: ListOptions = {
  engines: ["pglite", "postgres"],
  needs: 100_000,
  requests: 1000,
  warmup: 100,
  deepPage: 50,
  pageSize: 20,
  targetP99Ms: 15,
};

export interface ListCase {
  readonly name: string;
  readonly latencies: number[];
  readonly p50: number;
  readonly p99: number;
}

export interface ListResult {
  readonly engine: Engine;
  readonly cases: ListCase[];
  readonly notes: string[];
}

// ---------------------------------------------------------------------------
// Plans

export async function explain(
  db: Kysely<Database>,
  query: CompiledQuery,
  options = "ANALYZE, BUFFERS",
): Promise<string[]> {
  const result = await db.executeQuery<Record<string, string>>(
    CompiledQueryFactory.raw(`EXPLAIN (${options}) ${query.sql}`, [...query.parameters]),
  );
  return result.rows.map((row) => String(Object.values(row)[0]));
}

export function inlineParameters(query: CompiledQuery): string {
  return query.sql.replace(/\$(\d+)/g, (_, n: string) => {
    const value = query.parameters[Number(n) - 1];
    if (value instanceof Date) return `'${value.toISOString()}'`;
    if (typeof value === "number" || typeof value === "bigint") return String(value);
    return `'${String(value).replace(/'/g, "''")}'`;
  });
}

// ---------------------------------------------------------------------------
// Data

export async function insertNeeds(
  db: Kysely<Database>,
  group: string,
  count: number,
): Promise<void> {
  const categories = sql.raw(`ARRAY[${CATEGORY_SLUGS.map((c) => `'${c}'`).join(",")}]`);
  const batch = 20_000;
  for (let from = 1; from <= count; from += batch) {
    const to = Math.min(count, from + batch - 1);
    await sql`
      INSERT INTO proposals (id, group_id, purpose, title, description, category,
        quantity_amount, quantity_unit, location_name, latitude, longitude, urgency,
        expires_at, audience, contact, status, created_at, updated_at, deleted_at)
      SELECT
        substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || substr(r, 14, 3) || '-'
          || substr(r, 17, 4) || '-' || substr(r, 21, 12),
        ${group}, 'request',
        CASE WHEN deleted THEN '' ELSE 'Need #' || g END,
        CASE WHEN deleted THEN '' ELSE 'Supplies for a household of ' || (2 + g % 6)
          || ' people; drop-off at the community kitchen.' END,
        (${categories})[1 + g % 16],
        CASE WHEN g % 3 = 0 THEN NULL ELSE (1 + g % 50)::numeric END,
        CASE WHEN g % 3 = 0 THEN NULL ELSE (ARRAY['one', 'kilogram', 'litre'])[1 + g % 3] END,
        CASE WHEN deleted OR g % 4 = 0 THEN NULL ELSE 'Barangay ' || (g % 40) END,
        CASE WHEN deleted OR g % 4 = 0 THEN NULL ELSE 14.5 + (g % 100) / 1000.0 END,
        CASE WHEN deleted OR g % 4 = 0 THEN NULL ELSE 121.0 + (g % 100) / 1000.0 END,
        (ARRAY['low', 'normal', 'normal', 'normal', 'high', 'critical'])[1 + g % 6],
        CASE WHEN bucket >= 95 THEN ts WHEN g % 5 = 0 THEN ts + interval '400 days' END,
        CASE WHEN g % 10 = 0 THEN 'followers' ELSE 'public' END,
        CASE WHEN deleted OR g % 2 = 1 THEN NULL
          ELSE '+63 900 ' || lpad((g % 10000000)::text, 7, '0') END,
        CASE WHEN bucket < 60 THEN 'open' WHEN bucket < 75 THEN 'pledged'
          WHEN bucket < 90 THEN 'fulfilled' WHEN bucket < 95 THEN 'closed' ELSE 'expired' END,
        ts, ts, CASE WHEN deleted THEN ts END
      FROM (
        SELECT g, ts, deleted, bucket,
          lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0') AS h,
          replace(gen_random_uuid()::text, '-', '') AS r
        FROM (
          SELECT g,
            date_trunc('milliseconds', now() - random() * interval '180 days') AS ts,
            (g * 7919) % 100 = 42 AS deleted,
            (g * 29 + 7) % 100 AS bucket
          FROM generate_series(${from}::int, ${to}::int) AS g
        ) AS drawn
      ) AS generated`.execute(db);
  }
}

// ---------------------------------------------------------------------------
// Requests

interface Page {
  items: { id: string; status: string; audience: string; createdAt: string }[];
  nextCursor: string | null;
}

async function getPage(url: URL): Promise<Page> {
  const response = await clientFetch(url);
  if (response.status !== 200) {
    throw new Error(
      `GET ${url.pathname}${url.search}: HTTP ${response.status} ${await response.text()}`,
    );
  }
  return (await response.json()) as Page;
}

/** Follows nextCursor to page `page`, checking order and uniqueness; returns that page's cursor. */
async function walkTo(base: URL, page: number, pageSize: number): Promise<string | null> {
  const seen = new Set<string>();
  let cursor: string | null = null;
  let previous: { createdAt: number; id: string } | null = null;
  for (let n = 1; n < page; n++) {
    const url = new URL(base);
    if (cursor !== null) url.searchParams.set("cursor", cursor);
    const result = await getPage(url);
    if (result.items.length !== pageSize || result.nextCursor === null) {
      throw new Error(`Page ${n} has ${result.items.length} items; the list is too short`);
    }
    for (const item of result.items) {
      if (item.status !== "open" || item.audience !== "public") {
        throw new Error(`Page ${n} lists a ${item.audience} ${item.status} need`);
      }
      if (seen.has(item.id)) throw new Error(`Need ${item.id} is listed twice`);
      seen.add(item.id);
      const key = { createdAt: Date.parse(item.createdAt), id: item.id };
      if (
        previous !== null &&
        (key.createdAt > previous.createdAt ||
          (key.createdAt === previous.createdAt && key.id >= previous.id))
      ) {
        throw new Error(`Page ${n} is out of order at ${item.id}`);
      }
      previous = key;
    }
    cursor = result.nextCursor;
  }
  return cursor;
}

interface Measured {
  readonly latencies: number[];
  /** Garbage-collection pauses in this process (server and client) during the measured requests. */
  readonly gc: {
    readonly count: number;
    readonly major: number;
    readonly totalMs: number;
    readonly longestMs: number;
  };
  /** V8 heap in use when the measured requests began, MB. */
  readonly heapMb: number;
  /** Measured requests during which a GC pause happened. */
  readonly requestsWithGc: number;
  /** Process CPU time (server + client, all threads) per measured request, ms. */
  readonly cpuMsPerRequest: number;
}

async function measure(
  url: URL,
  warmup: number,
  requests: number,
  pageSize: number,
): Promise<Measured> {
  const latencies: number[] = [];
  const windows: [number, number][] = [];
  const pauses: [number, number][] = [];
  let majorPauses = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      pauses.push([entry.startTime, entry.duration]);
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorPauses++;
    }
  });
  let cpu = process.cpuUsage();
  let heapMb = 0;
  for (let i = 0; i < warmup + requests; i++) {
    if (i === warmup) {
      heapMb = process.memoryUsage().heapUsed / 2 ** 20;
      observer.observe({ entryTypes: ["gc"] });
      cpu = process.cpuUsage();
    }
    const started = performance.now();
    const response = await clientFetch(url);
    const body = (await response.json()) as Page;
    const ended = performance.now();
    if (response.status !== 200 || body.items.length !== pageSize) {
      throw new Error(`GET ${url.search}: HTTP ${response.status}, ${body.items?.length} items`);
    }
    if (i >= warmup) {
      latencies.push(ended - started);
      windows.push([started, ended]);
    }
  }
  const used = process.cpuUsage(cpu);
  // Entries are delivered asynchronously; let the last ones arrive.
  await new Promise((resolve) => setTimeout(resolve, 0));
  observer.disconnect();
  const requestsWithGc = windows.filter(([from, to]) =>
    pauses.some(([at, duration]) => at < to && at + duration > from),
  ).length;
  return {
    latencies,
    gc: {
      count: pauses.length,
      major: majorPauses,
      totalMs: pauses.reduce((sum, [, duration]) => sum + duration, 0),
      longestMs: pauses.reduce((longest, [, duration]) => Math.max(longest, duration), 0),
    },
    requestsWithGc,
    heapMb,
    cpuMsPerRequest: (used.user + used.system) / 1000 / requests,
  };
}

// ---------------------------------------------------------------------------

function planSummary(plan: readonly string[]): {
  scan: string;
  usesListingIndex: boolean;
  sorts: boolean;
  offset: boolean;
  removed: number;
  execution: string;
} {
  const text = plan.join("\n");
  const scan =
    /((?:Parallel )?(?:Seq Scan|Index Scan(?: Backward)?|Index Only Scan|Bitmap Heap Scan)(?: using \S+)? on proposals)/.exec(
      text,
    )?.[1] ?? "?";
  return {
    scan,
    usesListingIndex: /using proposals_listing on proposals/.test(text),
    sorts: /\bSort\b/.test(text),
    offset: /\bOffset\b|OFFSET/.test(text),
    removed: [...text.matchAll(/Rows Removed by Filter: (\d+)/g)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    ),
    execution: /Execution Time: ([\d.]+ ms)/.exec(text)?.[1] ?? "?",
  };
}

async function runEngine(
  engine: Engine,
  options: ListOptions,
  log: (line: string) => void,
): Promise<ListResult> {
  const notes: string[] = [];
  const store = await createStore(engine);
  const capture = new SelectCapture();
  let running: BenchInstance | null = null;
  const { handle, base } = await openWatched(store, [capture]);
  const unregister = onCleanup(() => base.close());
  try {
    const startup = await capture.during(() => startInstance(store, { database: handle }));
    running = startup.result;
    const handleName = await createGroup(running, "needs");
    const group = await groupId(running, handleName);

    let t = performance.now();
    await insertNeeds(base.db, group, options.needs);
    const insertSeconds = (performance.now() - t) / 1000;
    // PostgreSQL's autovacuum would analyze the table soon after such a load;
    // PGlite has no autovacuum, so it plans with whatever statistics exist.
    t = performance.now();
    if (engine === "postgres") await sql`ANALYZE proposals`.execute(base.db);
    const counts = await sql<{ total: number; open_public: number }>`
      SELECT count(*)::int AS total,
        count(*) FILTER (WHERE status = 'open' AND audience = 'public' AND deleted_at IS NULL)::int
          AS open_public
      FROM proposals WHERE group_id = ${group}`.execute(base.db);
    const { total, open_public } = counts.rows[0]!;
    log(
      `  [${engine}] inserted ${total.toLocaleString("en")} needs in ${insertSeconds.toFixed(1)} s ` +
        `(${open_public.toLocaleString("en")} open, public and live)` +
        (engine === "postgres" ? "; ANALYZE proposals" : "; no ANALYZE (PGlite has no autovacuum)"),
    );

    const listUrl = new URL(`/api/v1/groups/${handleName}/needs`, running.config.origin);
    listUrl.searchParams.set("status", "open");
    listUrl.searchParams.set("limit", String(options.pageSize));
    const deepCursor = await walkTo(listUrl, options.deepPage, options.pageSize);
    log(
      `  [${engine}] pages 1–${options.deepPage - 1} walked through nextCursor: ordered, no duplicates`,
    );
    const deepUrl = new URL(listUrl);
    if (deepCursor !== null) deepUrl.searchParams.set("cursor", deepCursor);

    const cases: ListCase[] = [];
    for (const [name, url] of [
      ["first page", listUrl],
      [`page ${options.deepPage} (cursor)`, deepUrl],
    ] as const) {
      const measured = await measure(url, options.warmup, options.requests, options.pageSize);
      const { latencies } = measured;
      const slow = latencies.filter((l) => l > options.targetP99Ms).length;
      const result = {
        name,
        latencies,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
      };
      cases.push(result);
      log(
        `  [${engine}] ${name}: p50 ${ms(result.p50)} ms, p99 ${ms(result.p99)} ms over ${latencies.length} requests; ` +
          `${slow} over ${options.targetP99Ms} ms; process CPU ${ms(measured.cpuMsPerRequest)} ms/request; ` +
          `GC ${measured.gc.count} pauses (${measured.gc.major} major; longest ${ms(measured.gc.longestMs)} ms, ` +
          `${ms(measured.gc.totalMs)} ms in all; heap ${measured.heapMb.toFixed(0)} MB) ` +
          `overlapping ${measured.requestsWithGc} requests`,
      );
    }

    // The plan of the exact query the API ran, for both pages.
    const showPlan = (title: string, query: CompiledQuery, plan: readonly string[]) => {
      log(`\n  EXPLAIN (ANALYZE, BUFFERS) of ${title} on ${engine}:`);
      log(`  ${inlineParameters(query)};`);
      for (const line of plan) log(`    ${line}`);
    };
    for (const [name, url] of [
      ["first page", listUrl],
      [`page ${options.deepPage}`, deepUrl],
    ] as const) {
      const { captured } = await capture.during(() => getPage(url));
      const query = captured
        .map((c) => compile(base.db, c))
        .find((q) => /from "proposals"/.test(q.sql) && /order by "created_at" desc/.test(q.sql));
      if (query === undefined) {
        notes.push(`could not capture the list query of the ${name}`);
        continue;
      }
      const plan = await explain(base.db, query);
      const summary = planSummary(plan);
      notes.push(
        `${name} plan: ${summary.scan}${summary.usesListingIndex ? "" : " (NOT proposals_listing)"}, ` +
          `${summary.sorts ? "with a Sort" : "no Sort"}, ${summary.offset ? "with OFFSET" : "no OFFSET"}, ` +
          `${summary.removed} rows removed by filter, execution ${summary.execution}`,
      );
      if (engine === "postgres" || process.env.BENCH_VERBOSE) {
        showPlan(`the ${name} query as the API ran it`, query, plan);
      }
    }

    // The periodic expiry sweep reads the same table; show what it costs at this size.
    const sweep = startup.captured
      .map((c) => compile(base.db, c))
      .find((q) => /from "proposals"/.test(q.sql) && /order by "expires_at"/.test(q.sql));
    if (sweep !== undefined) {
      const plan = await explain(base.db, sweep);
      const summary = planSummary(plan);
      notes.push(
        `expiry sweep query (every 60 s): ${summary.scan}, ${summary.removed} rows removed by filter, ` +
          `${summary.sorts ? "Sort, " : ""}execution ${summary.execution} (finds nothing to expire)`,
      );
      if (engine === "postgres" || process.env.BENCH_VERBOSE) {
        showPlan(
          "the expiry sweep's query (listDueProposals, run at startup and every 60 s)",
          sweep,
          plan,
        );
      }
    }
    log("");
    return { engine, cases, notes };
  } finally {
    await running?.stop();
    unregister();
    await base.close();
    await store.dispose();
  }
}

export async function runList(
  options: ListOptions,
  log: (line: string) => void,
): Promise<ListResult[]> {
  const results: ListResult[] = [];
  for (const engine of options.engines) results.push(await runEngine(engine, options, log));
  return results;
}
