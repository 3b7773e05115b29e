import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describePostgresUrl } from "../src/server.ts";
import { ADMIN_TOKEN, freePort } from "./helpers/instance.ts";
import { waitFor } from "./helpers/wait.ts";

/**
 * What `npm start` tells the person who runs it: the real server process,
 * started as package.json starts it, its output read.
 */
const root = path.resolve(import.meta.dirname, "..");

/** The node options of `npm start` (package.json: "node [options] src/main.ts"). */
function startOptions(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    scripts: { start: string };
  };
  const words = pkg.scripts.start.trim().split(/\s+/);
  if (words[0] !== "node" || words.at(-1) !== "src/main.ts") {
    throw new Error(`Unexpected start script: ${pkg.scripts.start}`);
  }
  return words.slice(1, -1);
}

interface Started {
  readonly child: ChildProcess;
  /** stdout and stderr as they came. */
  output(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Started {
  let out = "";
  let err = "";
  const child = spawn(process.execPath, [...startOptions(), "src/main.ts"], {
    cwd: root,
    env: { ...process.env, HOST: "127.0.0.1", DATABASE_URL: "", ADMIN_TOKEN: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    out += text;
    err += text;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { child, output: () => out, stderr: () => err, exited };
}

describe("npm start", () => {
  const children: Started[] = [];
  const dirs: string[] = [];
  const dataDir = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "bayanihan-start-"));
    dirs.push(dir);
    return dir;
  };
  let first: { port: number; dir: string } | null = null;

  afterAll(async () => {
    for (const started of children) {
      if (started.child.exitCode === null && started.child.signalCode === null) {
        started.child.kill("SIGTERM");
        await started.exited;
      }
    }
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("says where its data is, what it migrated, where it listens, and that no admin is set", async () => {
    const port = await freePort();
    const dir = await dataDir();
    const server = start({ PORT: String(port), DATA_DIR: dir, LOG_LEVEL: "info" });
    children.push(server);
    await waitFor(
      "the server to say where it listens",
      () => server.output().includes("is listening on"),
      90_000,
    );
    const output = server.output();
    expect(output).toContain(`creating a new embedded database in '${dir}' (DATA_DIR)`);
    expect(output).toContain("created, with every migration applied");
    expect(output).toContain("no migration pending");
    expect(output).toContain(`'http://127.0.0.1:${port}'`);
    expect(output).toContain(`open 'http://localhost:${port}/' in a browser`);
    expect(output).toContain("ADMIN_TOKEN is not set: nothing can use the API as instance admin");
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    first = { port, dir };
    // Stopped and started again: the same data, nothing to migrate, said so.
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    const again = start({ PORT: String(port), DATA_DIR: dir, ADMIN_TOKEN });
    children.push(again);
    await waitFor(
      "the server to start again",
      () => again.output().includes("is listening on"),
      90_000,
    );
    expect(again.output()).toContain(`embedded (PGlite) in '${dir}' (DATA_DIR)`);
    expect(again.output()).toContain("Database schema is up to date: no migration pending");
    expect(again.output()).not.toContain("ADMIN_TOKEN is not set");
  }, 200_000);

  it("says in one line which variable to change when the port is taken, and exits non-zero", async () => {
    expect(first).not.toBeNull();
    const { port } = first!;
    const second = start({ PORT: String(port), DATA_DIR: await dataDir(), ADMIN_TOKEN });
    children.push(second);
    expect(await second.exited).toBe(1);
    const lines = second.stderr().trim().split("\n");
    expect(lines).toEqual([
      `Port ${port} on 127.0.0.1 is already in use (another Bayanihan, or another program). Stop it, or start on another port: PORT=${port + 1} npm start`,
    ]);
    expect(second.output()).not.toMatch(/^\s+at /m);
  }, 200_000);

  it("writes one JSON object per line with LOG_FORMAT=json, its fatal port problem included", async () => {
    const port = await freePort();
    const server = start({ PORT: String(port), DATA_DIR: await dataDir(), LOG_FORMAT: "json" });
    children.push(server);
    await waitFor(
      "the server to say where it listens",
      () => server.output().includes("is listening on"),
      90_000,
    );
    const records = server
      .output()
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(2);
    for (const record of records) {
      expect(record).toMatchObject({ level: expect.any(String), message: expect.any(String) });
    }
    const listening = records.find((r) => String(r.message).includes("is listening on"));
    expect(listening).toMatchObject({
      level: "INFO",
      properties: { address: `http://127.0.0.1:${port}` },
    });
    expect(
      records.some((r) => r.level === "WARN" && String(r.message).includes("ADMIN_TOKEN")),
    ).toBe(true);

    const second = start({ PORT: String(port), DATA_DIR: await dataDir(), LOG_FORMAT: "json" });
    children.push(second);
    expect(await second.exited).toBe(1);
    const lines = second.stderr().trim().split("\n");
    const fatal = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(fatal).toMatchObject({ level: "FATAL" });
    expect(String(fatal.message)).toContain(`Port ${port} on 127.0.0.1 is already in use`);
  }, 200_000);

  it("names the PostgreSQL server it uses without its password", () => {
    expect(
      describePostgresUrl("postgres://bayanihan:s3cret-pw@db.internal:5432/aid?sslmode=require"),
    ).toBe("bayanihan@db.internal:5432/aid");
    expect(describePostgresUrl("postgres://db.internal/aid")).toBe("db.internal/aid");
    expect(describePostgresUrl("not a url")).toBe("(an unreadable URL)");
  });
});
