import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupToFile, restoreFromFile } from "../src/backup/files.ts";
import { BackupFormatError } from "../src/backup/format.ts";
import { RestoreRefused } from "../src/backup/restore.ts";
import { backupLines } from "../src/backup/write.ts";
import { loadConfig } from "../src/config.ts";
import type { DatabaseHandle } from "../src/db/connect.ts";
import { DataDirInUseError, LOCK_FILE, lockDataDir } from "../src/db/data-dir-lock.ts";
import { createMigrator } from "../src/db/migrate.ts";
import { startServer } from "../src/server.ts";
import { createProbeTables, databaseContents, fillProbeTables } from "./helpers/backup.ts";
import { createBareTestDatabaseOn, createTestDatabaseOn, testEngine } from "./helpers/database.ts";
import { ADMIN_TOKEN, freePort } from "./helpers/instance.ts";
import { pooledKeyPairGenerator } from "./helpers/test-keys.ts";

type Engine = "postgres" | "pglite";
/** PGlite always; with TEST_DATABASE_URL, PostgreSQL too, and every way between them. */
const engines: Engine[] = testEngine === "postgres" ? ["pglite", "postgres"] : ["pglite"];
const ORIGIN = new URL("https://aid.example");
const now = () => Temporal.Instant.from("2026-12-07T10:00:00Z");

let dir: string;
let fileCount = 0;
const nextFile = () => path.join(dir, `backup-${++fileCount}.jsonl.gz`);

/** A database with a collective, its keys, a need and a token, written by a real instance. */
async function populatedDatabase(engine: Engine): Promise<DatabaseHandle> {
  const database = await createTestDatabaseOn(engine);
  await createProbeTables(database.db);
  await fillProbeTables(database.db);
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    ORIGIN: ORIGIN.origin,
    ADMIN_TOKEN,
    LOG_LEVEL: "error",
  });
  const server = await startServer(config, { database, keys: pooledKeyPairGenerator });
  const api = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${route}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status >= 300) throw new Error(`${route}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  try {
    await api("POST", "/api/v1/groups", { handle: "food", name: "Food — Ñuñoa 🌊" });
    await api("POST", "/api/v1/groups/food/tokens", { label: "phone" });
    await api("POST", "/api/v1/groups/food/needs", {
      title: "Rice, 12.5 kg",
      category: "food",
      quantity: { amount: 12.125, unit: "kilogram" },
      location: { name: "Cubao", latitude: 14.6191, longitude: 121.0577 },
      urgency: "high",
      expiresAt: "2027-01-01T00:00:00Z",
    });
  } finally {
    await server.stop();
  }
  return database;
}

/** An empty, migrated database with the probe tables (a restore's target). */
async function emptyDatabase(engine: Engine): Promise<DatabaseHandle> {
  const database = await createTestDatabaseOn(engine);
  await createProbeTables(database.db);
  return database;
}

async function rewriteHeader(file: string, change: (header: Record<string, unknown>) => void) {
  const lines = gunzipSync(await readFile(file))
    .toString("utf8")
    .split("\n");
  const header = JSON.parse(lines[0]!) as Record<string, unknown>;
  change(header);
  lines[0] = JSON.stringify(header);
  const changed = nextFile();
  await writeFile(changed, gzipSync(lines.join("\n")));
  return changed;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bayanihan-backup-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(engines.flatMap((from) => engines.map((to) => [from, to] as const)))(
  "a backup from %s restored into %s",
  (from, to) => {
    let source: DatabaseHandle;
    let target: DatabaseHandle;
    beforeAll(async () => {
      [source, target] = await Promise.all([populatedDatabase(from), emptyDatabase(to)]);
    });
    afterAll(async () => {
      await Promise.all([source?.close(), target?.close()]);
    });

    it("holds every table, row by row and value by value, and the sequences", async () => {
      const file = nextFile();
      const written = await backupToFile(source, file, {
        origin: ORIGIN,
        now: now(),
        batchSize: 2,
      });
      expect(written.rows).toBeGreaterThan(10);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const report = await restoreFromFile(target, file, { origin: ORIGIN, batchRows: 2 });
      expect(report.rows).toBe(written.rows);
      const expected = await databaseContents(source.db);
      const restored = await databaseContents(target.db);
      expect(Object.keys(restored)).toEqual(Object.keys(expected));
      for (const table of Object.keys(expected)) {
        expect({ table, rows: restored[table] }).toEqual({ table, rows: expected[table] });
      }
      // Not just equal to each other: the awkward values are what was written.
      const probe = await sql<{ raw: string; amount: string; doubled: string }>`
      SELECT encode(raw, 'hex') AS raw, amount::text AS amount, doubled::text AS doubled
      FROM backup_probe WHERE id = 1`.execute(target.db);
      expect(probe.rows[0]).toEqual({
        raw: Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("hex"),
        amount: "12345678901234567890.000000000001",
        doubled: "2",
      });
      // New rows continue after the restored ones.
      const next = await sql<{ id: string }>`
      INSERT INTO backup_probe (label) VALUES ('after') RETURNING id::text AS id`.execute(
        target.db,
      );
      expect(next.rows[0]!.id).toBe("4");
    });

    it("is refused by a database that holds data, which it leaves as it was", async () => {
      const file = nextFile();
      await backupToFile(source, file, { origin: ORIGIN, now: now() });
      const before = await databaseContents(target.db);
      await expect(restoreFromFile(target, file, { origin: ORIGIN })).rejects.toThrow(/not empty/);
      expect(await databaseContents(target.db)).toEqual(before);
    });
  },
);

describe("restore refuses, writing nothing", () => {
  let source: DatabaseHandle;
  let target: DatabaseHandle;
  let file: string;
  let emptyContents: Record<string, string[]>;
  beforeAll(async () => {
    [source, target] = await Promise.all([
      populatedDatabase(testEngine),
      emptyDatabase(testEngine),
    ]);
    file = nextFile();
    await backupToFile(source, file, { origin: ORIGIN, now: now() });
    emptyContents = await databaseContents(target.db);
  });
  afterAll(async () => {
    await Promise.all([source?.close(), target?.close()]);
  });

  it("a file in a newer format", async () => {
    const newer = await rewriteHeader(file, (h) => {
      h.version = 2;
    });
    await expect(restoreFromFile(target, newer, { origin: ORIGIN })).rejects.toThrow(
      /format version 2 by a newer Bayanihan/,
    );
    expect(await databaseContents(target.db)).toEqual(emptyContents);
  });

  it("a file taken at a migration this version does not know", async () => {
    const newer = await rewriteHeader(file, (h) => {
      h.migrations = [...(h.migrations as string[]), "2099_01_01_000000_future"];
    });
    await expect(restoreFromFile(target, newer, { origin: ORIGIN })).rejects.toThrow(
      RestoreRefused,
    );
    await expect(restoreFromFile(target, newer, { origin: ORIGIN })).rejects.toThrow(
      /newer version/,
    );
    expect(await databaseContents(target.db)).toEqual(emptyContents);
  });

  it("a backup of another origin, unless told to", async () => {
    await expect(
      restoreFromFile(target, file, { origin: new URL("https://other.example") }),
    ).rejects.toThrow(/taken from https:\/\/aid.example/);
    expect(await databaseContents(target.db)).toEqual(emptyContents);
  });

  it("a truncated file, rolling back what it had loaded", async () => {
    const lines = gunzipSync(await readFile(file))
      .toString("utf8")
      .split("\n");
    const truncated = nextFile();
    await writeFile(truncated, gzipSync(lines.slice(0, -10).join("\n")));
    await expect(restoreFromFile(target, truncated, { origin: ORIGIN })).rejects.toThrow(
      BackupFormatError,
    );
    expect(await databaseContents(target.db)).toEqual(emptyContents);
  });

  it("a file that is not a backup, or whose compression is cut off", async () => {
    const notGzip = nextFile();
    await writeFile(notGzip, '{"format":"bayanihan-backup"}\n');
    await expect(restoreFromFile(target, notGzip, { origin: ORIGIN })).rejects.toThrow(
      /not a Bayanihan backup/,
    );
    const whole = await readFile(file);
    const cut = nextFile();
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length * 0.8)));
    await expect(restoreFromFile(target, cut, { origin: ORIGIN })).rejects.toThrow(
      BackupFormatError,
    );
    expect(await databaseContents(target.db)).toEqual(emptyContents);
  });

  it("to overwrite an existing file", async () => {
    await expect(backupToFile(source, file, { origin: ORIGIN, now: now() })).rejects.toThrow(
      /exists already/,
    );
  });
});

describe("a backup of an older version", () => {
  let source: DatabaseHandle;
  let target: DatabaseHandle;
  beforeAll(async () => {
    [source, target] = await Promise.all([
      createBareTestDatabaseOn(testEngine),
      createBareTestDatabaseOn(testEngine),
    ]);
  });
  afterAll(async () => {
    await Promise.all([source?.close(), target?.close()]);
  });

  it("restores at its own level into a new database, then migrates to this version's", async () => {
    const migrator = createMigrator(source.db, source.schema);
    const all = (await migrator.getMigrations()).map((m) => m.name);
    const older = all.at(-2)!;
    expect((await migrator.migrateTo(older)).error).toBeUndefined();
    await createProbeTables(source.db);
    await fillProbeTables(source.db);
    await sql`UPDATE federation_settings SET mode = 'allowlist'`.execute(source.db);
    const file = nextFile();
    await backupToFile(source, file, { origin: ORIGIN, now: now() });
    await createProbeTables(target.db);
    const report = await restoreFromFile(target, file, { origin: ORIGIN });
    expect(report.header.migrations).toEqual(all.slice(0, -1));
    expect(report.migratedAfter).toEqual([all.at(-1)]);
    const applied = await sql<{ name: string }>`
      SELECT name FROM kysely_migration ORDER BY name`.execute(target.db);
    expect(applied.rows.map((r) => r.name)).toEqual(all);
    const settings = await sql<{ mode: string }>`SELECT mode FROM federation_settings`.execute(
      target.db,
    );
    expect(settings.rows).toEqual([{ mode: "allowlist" }]);
    const probes = await sql<{ n: number }>`SELECT count(*)::int AS n FROM backup_probe`.execute(
      target.db,
    );
    expect(probes.rows[0]!.n).toBe(3);
  });
});

describe("a backup taken while the instance writes", () => {
  let source: DatabaseHandle;
  let target: DatabaseHandle;
  beforeAll(async () => {
    [source, target] = await Promise.all([
      populatedDatabase(testEngine),
      emptyDatabase(testEngine),
    ]);
  });
  afterAll(async () => {
    await Promise.all([source?.close(), target?.close()]);
  });

  it("is one instant: each write is in every table or in none", async () => {
    let n = 0;
    // One transaction writes both tables, as a delivery writes its rows.
    const write = () => {
      const k = ++n;
      return source.db.transaction().execute(async (trx) => {
        await sql`INSERT INTO backup_ledger_a (n) VALUES (${k})`.execute(trx);
        await sql`INSERT INTO backup_ledger_b (n) VALUES (${k})`.execute(trx);
      });
    };
    for (let i = 0; i < 5; i++) await write();
    const lines: string[] = [];
    const pending: Promise<void>[] = [];
    for await (const line of backupLines(source, { origin: ORIGIN, now: now(), batchSize: 1 })) {
      lines.push(line);
      if (line.startsWith('{"table":"backup_ledger_b"')) {
        // Between reading one table and the next, five more writes commit
        // (on PostgreSQL; PGlite's one connection holds them until the backup ends).
        const writes = Promise.all(Array.from({ length: 5 }, write)).then(() => {});
        if (source.engine === "postgres") await writes;
        pending.push(writes);
      }
    }
    await Promise.all(pending);
    expect(n).toBe(10);
    const file = nextFile();
    await writeFile(file, gzipSync(lines.join("")));
    await restoreFromFile(target, file, { origin: ORIGIN });
    const a = await sql<{ n: number }>`SELECT n FROM backup_ledger_a ORDER BY n`.execute(target.db);
    const b = await sql<{ n: number }>`SELECT n FROM backup_ledger_b ORDER BY n`.execute(target.db);
    expect(a.rows.map((r) => r.n)).toEqual([1, 2, 3, 4, 5]);
    expect(b.rows.map((r) => r.n)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("the embedded database's lock", () => {
  it("refuses while another live process holds it, and takes over a dead one's", async () => {
    const dataDir = await mkdtemp(path.join(dir, "data-"));
    // Vitest's main process: alive, and not this one.
    await writeFile(path.join(dataDir, LOCK_FILE), `${process.ppid}\n`);
    await expect(lockDataDir(dataDir)).rejects.toThrow(DataDirInUseError);
    await writeFile(path.join(dataDir, LOCK_FILE), "2147483646\n");
    const release = await lockDataDir(dataDir);
    expect((await readFile(path.join(dataDir, LOCK_FILE), "utf8")).trim()).toBe(
      String(process.pid),
    );
    await release();
    await expect(stat(path.join(dataDir, LOCK_FILE))).rejects.toThrow();
  });
});
