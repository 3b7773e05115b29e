/**
 * Opening a store the way the server does (openPGlite on DATA_DIR, or
 * openPostgres on DATABASE_URL), with Kysely plugins that watch the SQL the
 * instance sends: a statement counter and a capture of select queries (to
 * EXPLAIN exactly what the API ran).
 */
import type {
  CompiledQuery,
  Kysely,
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryId,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from "kysely";
import { SelectQueryNode, sql } from "kysely";
import { type DatabaseHandle, openPGlite, openPostgres } from "../../src/db/connect.ts";
import type { Database } from "../../src/db/database.ts";
import type { BenchStore } from "./instance.ts";
import { sleep } from "./stats.ts";

export interface Captured {
  readonly node: RootOperationNode;
  readonly queryId: QueryId;
}

const TABLES = [
  "groups",
  "group_keys",
  "api_tokens",
  "proposals",
  "pending_activities",
  "followers",
  "fedify_kv",
  "fedify_queue",
  "delivery_failures",
];

interface LooseNode {
  readonly kind: string;
  readonly from?: { readonly froms: readonly LooseNode[] };
  readonly into?: LooseNode;
  readonly table?: LooseNode | { readonly identifier?: { readonly name?: string } };
  readonly identifier?: { readonly name?: string };
  readonly onConflict?: unknown;
  readonly with?: { readonly expressions: readonly { readonly expression: LooseNode }[] };
  readonly sqlFragments?: readonly string[];
}

function tableOf(node: LooseNode | undefined): string {
  if (node === undefined) return "?";
  if (node.identifier?.name !== undefined) return node.identifier.name;
  if (node.table !== undefined) return tableOf(node.table as LooseNode);
  return "?";
}

/** "verb table" for a statement, e.g. "update fedify_queue". */
export function statementLabel(root: RootOperationNode): string {
  const node = root as unknown as LooseNode;
  switch (node.kind) {
    case "SelectQueryNode": {
      const cte = node.with?.expressions[0]?.expression;
      if (cte?.kind === "InsertQueryNode") return `insert ${tableOf(cte.into)}`;
      return `select ${tableOf(node.from?.froms[0])}`;
    }
    case "InsertQueryNode":
      return `${node.onConflict === undefined ? "insert" : "upsert"} ${tableOf(node.into)}`;
    case "UpdateQueryNode":
      return `update ${tableOf(node.table as LooseNode)}`;
    case "DeleteQueryNode":
      return `delete ${tableOf(node.from?.froms[0])}`;
    case "RawNode": {
      const text = (node.sqlFragments ?? []).join("?");
      const verbs = ["select", "insert", "update", "delete"]
        .map((verb) => ({ verb, at: text.search(new RegExp(`\\b${verb}\\b`, "i")) }))
        .filter((v) => v.at >= 0)
        .sort((a, b) => a.at - b.at);
      const table = TABLES.find((t) => new RegExp(`\\b${t}\\b`).test(text)) ?? "?";
      return `${verbs[0]?.verb ?? "other"} ${table}`;
    }
    default:
      return node.kind;
  }
}

/** Counts every statement sent through Kysely (BEGIN/COMMIT excluded), by label. */
export class StatementCounter implements KyselyPlugin {
  count = 0;
  readonly byLabel = new Map<string, number>();
  // Kysely also passes the sub-builders of a statement (a union's other
  // half, a subquery) through transformQuery, each with its own query id;
  // only the executed statement comes back through transformResult, so a
  // statement is counted there, once.
  readonly #labels = new WeakMap<object, string>();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.#labels.set(args.queryId, statementLabel(args.node));
    return args.node;
  }

  /** A copy of the counts by label, to diff later. */
  snapshot(): Map<string, number> {
    return new Map(this.byLabel);
  }

  since(snapshot: ReadonlyMap<string, number>): Map<string, number> {
    const diff = new Map<string, number>();
    for (const [label, n] of this.byLabel) {
      const delta = n - (snapshot.get(label) ?? 0);
      if (delta > 0) diff.set(label, delta);
    }
    return diff;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.count++;
    const label = this.#labels.get(args.queryId) ?? "?";
    this.byLabel.set(label, (this.byLabel.get(label) ?? 0) + 1);
    return args.result;
  }
}

/**
 * Records the select statements executed while armed; compiling them gives
 * the exact SQL. Kysely passes a statement's sub-builders (a union's other
 * half, a subquery) through transformQuery as well, each under its own query
 * id; only an executed statement comes back through transformResult, so a
 * select is recorded there.
 */
export class SelectCapture implements KyselyPlugin {
  #armed = false;
  #seen = new Map<QueryId, RootOperationNode>();
  #captured: Captured[] = [];

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (this.#armed && SelectQueryNode.is(args.node)) this.#seen.set(args.queryId, args.node);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const node = this.#seen.get(args.queryId);
    if (node !== undefined) {
      this.#seen.delete(args.queryId);
      this.#captured.push({ node, queryId: args.queryId });
    }
    return args.result;
  }

  /** Runs `action`, recording the select statements it (and anything else meanwhile) runs. */
  async during<T>(action: () => Promise<T>): Promise<{ result: T; captured: Captured[] }> {
    this.#seen = new Map();
    this.#captured = [];
    this.#armed = true;
    try {
      const result = await action();
      return { result, captured: this.#captured };
    } finally {
      this.#armed = false;
    }
  }
}

export interface WatchedDatabase {
  /** For the instance (options.database): its SQL goes through the plugins. */
  readonly handle: DatabaseHandle;
  /** The same connection without the plugins, for the benchmark's own queries. */
  readonly base: DatabaseHandle;
}

export async function openWatched(
  store: BenchStore,
  plugins: readonly KyselyPlugin[],
): Promise<WatchedDatabase> {
  const base =
    store.engine === "pglite"
      ? await openPGlite({ dataDir: store.location })
      : openPostgres({ url: store.location });
  let db = base.db;
  for (const plugin of plugins) db = db.withPlugin(plugin);
  const handle: DatabaseHandle = {
    db,
    engine: base.engine,
    listen: (channel, onNotify) => base.listen(channel, onNotify),
    close: () => base.close(),
  };
  return { handle, base };
}

export function compile(db: Kysely<Database>, captured: Captured): CompiledQuery {
  return db.getExecutor().compileQuery(captured.node, captured.queryId);
}

/**
 * Whether the queue emptied within `timeoutMs`, polling every 10 ms. On
 * PGlite the poll runs in the instance's own process and takes its turn on
 * the one connection, so it asks only whether a row exists: a count(*)
 * over a backlog of thousands of rows cost the instance about 2 ms per
 * poll (1.0 s of a 7.9 s drain, timed inside PGlite).
 */
export async function waitForEmptyQueue(db: Kysely<Database>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await sql<{ empty: boolean }>`
      SELECT NOT EXISTS (SELECT 1 FROM fedify_queue) AS empty`.execute(db);
    if (result.rows[0]?.empty === true) return true;
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
}
