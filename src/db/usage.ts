/**
 * How the application uses its database connections, whichever engine backs
 * them: connections in use and acquisitions waiting for one (counted where
 * Kysely takes and gives back a connection, since neither postgres.js nor
 * PGlite exposes its pool), and each statement's duration (Kysely's log
 * hook). The metrics read these; nothing here knows Prometheus.
 */
import type { DatabaseConnection, Dialect, Driver, LogEvent } from "kysely";

/** A statement's kind, from its first keyword: a bounded set, never its text. */
export type StatementKind = "select" | "insert" | "update" | "delete" | "other";

export type StatementObserver = (kind: StatementKind, seconds: number, failed: boolean) => void;

export class DatabaseUsage {
  /** Connections the pool may open: 1 for the embedded database. */
  readonly maxConnections: number;
  /** Connections handed to a statement or a transaction and not given back yet. */
  held = 0;
  /** Statements or transactions whose request for a connection is not answered yet. */
  acquiring = 0;
  readonly #observers = new Set<StatementObserver>();

  constructor(maxConnections: number) {
    this.maxConnections = maxConnections;
  }

  /** Connections a statement or a transaction is using now. */
  get inUse(): number {
    return this.held;
  }

  /** Statements or transactions waiting for a free connection now. */
  get waiting(): number {
    return this.acquiring;
  }

  /** Calls `observer` after every statement; returns the function that stops it. */
  onStatement(observer: StatementObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  /** Kysely's `log` option. */
  readonly log = (event: LogEvent): void => {
    if (this.#observers.size === 0) return;
    const kind = statementKind(event.query.query.kind, event.query.sql);
    const seconds = event.queryDurationMillis / 1000;
    for (const observer of this.#observers) observer(kind, seconds, event.level === "error");
  };
}

const KIND_OF_NODE: Readonly<Record<string, StatementKind>> = {
  SelectQueryNode: "select",
  InsertQueryNode: "insert",
  UpdateQueryNode: "update",
  DeleteQueryNode: "delete",
};

/** The kind of a built query from its root node; of raw SQL from its first keyword. */
export function statementKind(node: string, sql: string): StatementKind {
  const known = KIND_OF_NODE[node];
  if (known !== undefined) return known;
  const first = /^\s*([a-z]+)/i.exec(sql)?.[1]?.toLowerCase();
  return first === "select" || first === "insert" || first === "update" || first === "delete"
    ? first
    : "other";
}

/**
 * `dialect`, counting the connections its driver hands out into `usage`.
 * Kysely makes statements wait for a single-connection driver (PGlite's)
 * before asking the driver, out of sight; for such a dialect the counting
 * driver takes over that wait, in a queue of its own, so that it is counted.
 */
export function countingConnections(dialect: Dialect, usage: DatabaseUsage): Dialect {
  const adapter = dialect.createAdapter();
  const single = !adapter.supportsMultipleConnections;
  return {
    createAdapter: () =>
      single
        ? new Proxy(adapter, {
            get: (target, property) =>
              property === "supportsMultipleConnections"
                ? true
                : Reflect.get(target, property, target),
          })
        : adapter,
    createDriver: () => countingDriver(dialect.createDriver(), usage, single),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  };
}

function countingDriver(driver: Driver, usage: DatabaseUsage, single: boolean): Driver {
  const turns = single ? new Turns() : null;
  const acquireConnection: Driver["acquireConnection"] = async (options) => {
    usage.acquiring++;
    let connection: DatabaseConnection;
    try {
      await turns?.take();
      try {
        connection = await driver.acquireConnection(options);
      } catch (error) {
        turns?.giveBack();
        throw error;
      }
    } finally {
      usage.acquiring--;
    }
    usage.held++;
    return connection;
  };
  const releaseConnection: Driver["releaseConnection"] = async (connection, options) => {
    usage.held--;
    try {
      await driver.releaseConnection(connection, options);
    } finally {
      turns?.giveBack();
    }
  };
  // Every other method (transactions, savepoints when the driver has them)
  // goes to the driver itself, bound to it: drivers keep private fields.
  return new Proxy(driver, {
    get(target, property) {
      if (property === "acquireConnection") return acquireConnection;
      if (property === "releaseConnection") return releaseConnection;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** One holder at a time, the others served in the order they asked. */
class Turns {
  #taken = false;
  readonly #queue: (() => void)[] = [];

  async take(): Promise<void> {
    if (!this.#taken) {
      this.#taken = true;
      return;
    }
    await new Promise<void>((resolve) => this.#queue.push(resolve));
  }

  /** Hands the turn to the next in line, or frees it. */
  giveBack(): void {
    const next = this.#queue.shift();
    if (next === undefined) this.#taken = false;
    else next();
  }
}
