import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, freePort } from "./helpers/instance.ts";
import { waitFor } from "./helpers/wait.ts";

/**
 * The idle footprint of a real server process on the embedded database,
 * started as `npm start` starts it (the node options of package.json's
 * start script included), on an empty DATA_DIR. The target is 250 MB
 * (BENCHMARKS.md, "Memory"), which the server does not meet yet: it
 * measures 264–304 MB from run to run. Until it does, this guards against
 * regressions from what it measures now, failing above 20 % more than
 * 275 MB, so that run-to-run noise does not fail it but a regression such
 * as PGlite's default shared_buffers (about 420 MB on a first start) does.
 * Lower MEASURED_MB to the target once the target is met.
 */
const TARGET_MB = 250;
const MEASURED_MB = 275;
const LIMIT_MB = Math.max(TARGET_MB, MEASURED_MB) * 1.2;

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

function status(pid: number): { rssKb: number; cpuTicks: number } {
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { rssKb: Number(rss?.[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

describe.skipIf(process.platform !== "linux")(
  "idle memory of the server (embedded database)",
  () => {
    let child: ChildProcess | null = null;
    let dataDir: string | null = null;

    afterAll(async () => {
      if (child !== null && child.exitCode === null) {
        const exited = new Promise((resolve) => child?.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      if (dataDir !== null) await rm(dataDir, { recursive: true, force: true });
    });

    it(`stays under ${LIMIT_MB} MB resident once started on an empty DATA_DIR`, async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), "bayanihan-memory-"));
      const port = await freePort();
      const server = spawn(process.execPath, [...startOptions(), "src/main.ts"], {
        cwd: root,
        env: {
          ...process.env,
          HOST: "127.0.0.1",
          PORT: String(port),
          ORIGIN: `http://127.0.0.1:${port}`,
          DATA_DIR: dataDir,
          DATABASE_URL: "",
          ADMIN_TOKEN,
          LOG_LEVEL: "error",
        },
        stdio: ["ignore", "ignore", "inherit"],
      });
      child = server;
      const pid = server.pid!;
      await waitFor(
        "the server to answer /healthz",
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
          return res?.status === 200;
        },
        90_000,
      );
      // Idle: the process has used under 10 % of a core for 5 s in a row. Its
      // background polling (queue lanes, housekeeping) costs about 3 % when
      // nothing happens, so a lower line would wait for a quiet that never comes;
      // the start itself (migrations, keys) runs at a whole core.
      let quietSeconds = 0;
      let before = status(pid).cpuTicks;
      let seconds = 0;
      const rssKb = await waitFor(
        "the server to go quiet",
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          seconds++;
          const now = status(pid);
          quietSeconds = now.cpuTicks - before < 10 ? quietSeconds + 1 : 0;
          before = now.cpuTicks;
          return quietSeconds >= 5 ? now.rssKb : 0;
        },
        90_000,
      );
      const rssMb = rssKb / 1024;
      console.log(
        `Idle RSS of the server on an empty DATA_DIR: ${rssMb.toFixed(0)} MB after ${seconds} s (target ${TARGET_MB} MB, limit ${LIMIT_MB} MB)`,
      );
      expect(rssMb).toBeLessThanOrEqual(LIMIT_MB);
    }, 200_000);
  },
);
