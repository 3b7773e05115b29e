/**
 * Matching latency and plans: GET /api/v1/needs/{id}/matches with 100,000
 * local offers on the instance and 100,000 remote needs and offers received
 * from other instances, as anonymous readers see it, over HTTP to the running
 * instance. Sequential requests; the time includes the client in the same
 * process.
 *
 *   npm exec -- node bench/matching.ts [--engines=pglite,postgres] [--requests=200] [--rows=100000]
 *
 * Data, inserted directly with INSERT … SELECT generate_series (deterministic):
 * - local offers in 20 groups; 40 % food (the subject's category: the worst
 *   case), the rest spread over the other categories; 60 % open, 15 %
 *   pledged, 25 % finished; 10 % followers-only; 1 % deleted; 25 % without
 *   coordinates; of the located ones half in Metro Manila (around the
 *   subject), half across the archipelago;
 * - remote rows from 100 actors, the subject's group following 10 of them;
 *   20,000 re-shares of rows by the other 90, 2,000 of them by the 10
 *   followed actors (so in the feed); the same mixes.
 *
 * Two subjects: a need located in Manila (candidates in the box around it,
 * nearest first, plus those without coordinates) and a need without
 * coordinates (the newest candidates). The EXPLAIN (ANALYZE, BUFFERS) shown
 * is of the exact SQL the API ran, captured by a Kysely plugin.
 */
import "../src/polyfill.ts";
import os from "node:os";
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
  cleanupAll,
  clientFetch,
  createGroup,
  createStore,
  type Engine,
  groupId,
  onCleanup,
  postgresAvailable,
  startInstance,
} from "./lib/instance.ts";
import { configureBenchLogging } from "./lib/logging.ts";
import { ms, percentile } from "./lib/stats.ts";

function option(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
}

const engines = option("engines", "pglite,postgres").split(",") as Engine[];
const requests = Number(option("requests", "200"));
const warmup = Math.max(10, Math.round(requests / 10));
const rows = Number(option("rows", "100000"));
const GROUPS = 20;
const PEERS = 100;
const FOLLOWED = 10;
const SHARES = 20_000;

const categoryArray = `ARRAY[${CATEGORY_SLUGS.map((c) => `'${c}'`).join(",")}]`;

/** Shared column expressions of both tables, from the series number `g`. */
const columns = {
  // 40 % food, the rest cycling through every category.
  category: sql.raw(`CASE WHEN g % 5 < 2 THEN 'food' ELSE (${categoryArray})[1 + g % 16] END`),
  latitude: sql.raw(`CASE WHEN g % 4 = 0 THEN NULL
    WHEN g % 2 = 0 THEN 14.4 + ((g * 37) % 4000) / 10000.0
    ELSE 5 + ((g * 37) % 14000) / 1000.0 END`),
  longitude: sql.raw(`CASE WHEN g % 4 = 0 THEN NULL
    WHEN g % 2 = 0 THEN 120.9 + ((g * 53) % 2000) / 10000.0
    ELSE 117 + ((g * 53) % 10000) / 1000.0 END`),
  status: sql.raw(`CASE WHEN (g * 29 + 7) % 100 < 60 THEN 'open'
    WHEN (g * 29 + 7) % 100 < 75 THEN 'pledged'
    WHEN (g * 29 + 7) % 100 < 90 THEN 'fulfilled'
    WHEN (g * 29 + 7) % 100 < 95 THEN 'closed' ELSE 'expired' END`),
  quantity: sql.raw(`CASE WHEN g % 3 = 0 THEN NULL ELSE (1 + g % 50)::numeric END`),
  unit: sql.raw(
    `CASE WHEN g % 3 = 0 THEN NULL ELSE (ARRAY['one', 'kilogram', 'litre'])[1 + g % 3] END`,
  ),
  urgency: sql.raw(`(ARRAY['low', 'normal', 'normal', 'normal', 'high', 'critical'])[1 + g % 6]`),
  created: sql.raw(`now() - (g % 15552000) * interval '1 second'`),
};

async function insertLocalOffers(db: Kysely<Database>, groupIds: readonly string[]): Promise<void> {
  const groups = sql.raw(`ARRAY[${groupIds.map((id) => `'${id}'`).join(",")}]`);
  const c = columns;
  for (let from = 1; from <= rows; from += 20_000) {
    const to = Math.min(rows, from + 19_999);
    await sql`
      INSERT INTO proposals (id, group_id, purpose, title, description, category,
        quantity_amount, quantity_unit, location_name, latitude, longitude, urgency,
        expires_at, audience, contact, status, created_at, updated_at, deleted_at)
      SELECT gen_random_uuid()::text, (${groups})[1 + g % ${GROUPS}], 'offer', 'Offer #' || g, '',
        ${c.category}, ${c.quantity}, ${c.unit},
        CASE WHEN g % 4 = 0 THEN NULL ELSE 'Barangay ' || (g % 40) END, ${c.latitude}, ${c.longitude},
        ${c.urgency}, CASE WHEN g % 5 = 0 THEN now() + interval '30 days' END,
        CASE WHEN g % 10 = 0 THEN 'followers' ELSE 'public' END, '+63 900 ' || g, ${c.status},
        ${c.created}, ${c.created}, CASE WHEN (g * 7919) % 100 = 42 THEN now() END
      FROM generate_series(${from}::int, ${to}::int) AS g`.execute(db);
  }
}

async function insertRemote(db: Kysely<Database>): Promise<void> {
  const c = columns;
  for (let from = 1; from <= rows; from += 20_000) {
    const to = Math.min(rows, from + 19_999);
    await sql`
      INSERT INTO remote_proposals (id, object_id, origin_actor_id, kind, purpose, title,
        summary_text, category, category_uri, quantity_amount, quantity_unit, location_name,
        latitude, longitude, urgency, status, expires_at, url, published_at, remote_updated_at,
        received_at)
      SELECT gen_random_uuid()::text,
        'https://peer' || (g % ${PEERS}) || '.example/objects/' || g,
        'https://peer' || (g % ${PEERS}) || '.example/groups/g',
        'proposal', CASE WHEN g % 5 = 4 THEN 'request' ELSE 'offer' END, 'Remote #' || g, '',
        ${c.category}, 'urn:bayanihan:category:' || ${c.category}, ${c.quantity}, ${c.unit},
        CASE WHEN g % 4 = 0 THEN NULL ELSE 'Place ' || (g % 40) END, ${c.latitude}, ${c.longitude},
        ${c.urgency}, ${c.status}, NULL, NULL, ${c.created}, ${c.created}, now()
      FROM generate_series(${from}::int, ${to}::int) AS g`.execute(db);
  }
}

async function follow(db: Kysely<Database>, group: string): Promise<void> {
  await sql`
    INSERT INTO following (id, group_id, actor_id, inbox_url, shared_inbox_url,
      follow_activity_id, state, created_at, updated_at)
    SELECT gen_random_uuid()::text, ${group}, 'https://peer' || p || '.example/groups/g',
      'https://peer' || p || '.example/inbox', NULL, 'https://bench.example/follows/' || p,
      'accepted', now(), now()
    FROM generate_series(0, ${FOLLOWED - 1}) AS p`.execute(db);
  // Re-shares of rows by actors the group does not follow: a tenth of them by
  // followed actors (in the feed), the rest by others (not in it).
  await sql`
    INSERT INTO remote_shares (remote_proposal_id, sharer_actor_id, announce_id, shared_at)
    SELECT id, 'https://peer' || (n % ${PEERS}) || '.example/groups/g',
      'https://bench.example/announces/' || n, now()
    FROM (
      SELECT id, row_number() OVER (ORDER BY id) AS n FROM remote_proposals
      WHERE object_id ~ '^https://peer[5-9][0-9]\.example/'
    ) AS picked
    WHERE n <= ${SHARES}`.execute(db);
}

async function explain(db: Kysely<Database>, query: CompiledQuery): Promise<string[]> {
  const result = await db.executeQuery<Record<string, string>>(
    CompiledQueryFactory.raw(`EXPLAIN (ANALYZE, BUFFERS) ${query.sql}`, [...query.parameters]),
  );
  return result.rows.map((row) => String(Object.values(row)[0]));
}

function inlineParameters(query: CompiledQuery): string {
  return query.sql.replace(/\$(\d+)/g, (_, n: string) => {
    const value = query.parameters[Number(n) - 1];
    if (value instanceof Date) return `'${value.toISOString()}'`;
    if (typeof value === "number" || typeof value === "bigint") return String(value);
    return `'${String(value).replace(/'/g, "''")}'`;
  });
}

const unnumbered = (text: string) => text.replace(/\$\d+/g, "?");

function summarize(plan: readonly string[]): string {
  const text = plan.join("\n");
  const scans = [
    ...text.matchAll(
      /((?:Parallel )?(?:Seq Scan|Index Scan(?: Backward)?|Index Only Scan|Bitmap Index Scan|Bitmap Heap Scan)(?: using \S+)? on \S+)/g,
    ),
  ].map((m) => m[1]);
  const removed = [...text.matchAll(/Rows Removed by Filter: (\d+)/g)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
  const execution = /Execution Time: ([\d.]+ ms)/.exec(text)?.[1] ?? "?";
  return `${[...new Set(scans)].join("; ")} | ${removed} rows removed by filter | execution ${execution}`;
}

async function measure(url: URL): Promise<{ p50: number; p99: number; items: number }> {
  const latencies: number[] = [];
  let items = 0;
  for (let i = 0; i < warmup + requests; i++) {
    const started = performance.now();
    const response = await clientFetch(url);
    const body = (await response.json()) as { items: unknown[] };
    const ended = performance.now();
    if (response.status !== 200) throw new Error(`GET ${url}: HTTP ${response.status}`);
    items = body.items.length;
    if (i >= warmup) latencies.push(ended - started);
  }
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), items };
}

async function run(engine: Engine): Promise<void> {
  const store = await createStore(engine);
  const capture = new SelectCapture();
  const { handle, base } = await openWatched(store, [capture]);
  const unregister = onCleanup(() => base.close());
  const instance = await startInstance(store, { database: handle });
  try {
    const handles: string[] = [];
    for (let i = 0; i < GROUPS; i++) handles.push(await createGroup(instance, `g${i}`));
    const ids = await Promise.all(handles.map((h) => groupId(instance, h)));
    const started = performance.now();
    await insertLocalOffers(base.db, ids);
    await insertRemote(base.db);
    await follow(base.db, ids[0]!);
    if (engine === "postgres") await sql`ANALYZE`.execute(base.db);
    const counts = await sql<{ local: number; remote: number; food_live: number }>`
      SELECT (SELECT count(*)::int FROM proposals) AS local,
        (SELECT count(*)::int FROM remote_proposals) AS remote,
        (SELECT count(*)::int FROM proposals WHERE category = 'food' AND purpose = 'offer'
          AND status IN ('open', 'pledged') AND deleted_at IS NULL) AS food_live`.execute(base.db);
    const { local, remote, food_live } = counts.rows[0]!;
    console.log(
      `  [${engine}] ${local.toLocaleString("en")} local offers (${food_live.toLocaleString("en")} live food offers), ` +
        `${remote.toLocaleString("en")} remote rows, in ${((performance.now() - started) / 1000).toFixed(1)} s` +
        (engine === "postgres" ? "; ANALYZE" : "; no ANALYZE (PGlite has no autovacuum)"),
    );

    // The load blocked the event loop (PGlite runs in-process): the server may
    // have closed an idle keep-alive socket meanwhile, so the client's next
    // request on it would fail. A throw-away request clears it.
    await clientFetch(new URL("/healthz", instance.config.origin)).catch(() => {});
    const token = (await (await instance.api("POST", "/api/v1/groups/g0/tokens")).json()) as {
      token: string;
    };
    const subjects: [string, Record<string, unknown>][] = [
      ["need in Manila", { location: { name: "Manila", latitude: 14.6, longitude: 121.0 } }],
      ["need without coordinates", {}],
    ];
    for (const [name, extra] of subjects) {
      const response = await instance.api(
        "POST",
        "/api/v1/groups/g0/needs",
        { title: name, category: "food", quantity: { amount: 20, unit: "kilogram" }, ...extra },
        token.token,
      );
      const need = (await response.json()) as { id: string };
      const url = new URL(`/api/v1/needs/${need.id}/matches`, instance.config.origin);
      const result = await measure(url);
      console.log(
        `  [${engine}] ${name}: p50 ${ms(result.p50)} ms, p99 ${ms(result.p99)} ms over ${requests} requests (${warmup} warm-up); ${result.items} matches`,
      );
      const { captured } = await capture.during(() => clientFetch(url).then((r) => r.text()));
      const queries = captured
        .map((q) => compile(base.db, q))
        .filter((q) => /order by/.test(q.sql) && /"(remote_)?proposals"/.test(q.sql))
        .filter((q, i, all) => all.findIndex((other) => other.sql === q.sql) === i)
        // The capture also sees the parts a query is built from (with their
        // own parameter numbers); keep whole queries.
        .filter((q, _, all) => {
          const text = unnumbered(q.sql);
          return !all.some((other) => other.sql !== q.sql && unnumbered(other.sql).includes(text));
        });
      for (const query of queries) {
        const plan = await explain(base.db, query);
        const table = /from "remote_proposals"/.test(query.sql) ? "remote" : "local";
        const pool = /"latitude" is null/i.test(query.sql)
          ? "without coordinates"
          : /"latitude" is not null/i.test(query.sql)
            ? "located, in the box"
            : "newest";
        console.log(`    ${table} candidates, ${pool}: ${summarize(plan)}`);
        if (process.env.BENCH_VERBOSE || engine === "postgres") {
          console.log(`      ${inlineParameters(query)};`);
          for (const line of plan) console.log(`        ${line}`);
        }
      }
    }
  } finally {
    await instance.stop();
    unregister();
    await base.close();
    await store.dispose();
  }
}

await configureBenchLogging();
try {
  console.log(
    `Command:  npm exec -- node bench/matching.ts ${process.argv.slice(2).join(" ")}`.trim(),
  );
  console.log(
    `Machine:  ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, load ${os.loadavg()[0]?.toFixed(2)}`,
  );
  for (const engine of engines) {
    if (engine === "postgres" && (await postgresAvailable()) === null) {
      console.log("  [postgres] no server answers at BENCH_POSTGRES_URL: skipped");
      continue;
    }
    await run(engine);
  }
} finally {
  await cleanupAll();
}
