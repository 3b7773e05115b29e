import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseHandle, openPostgres } from "../src/db/connect.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { enqueueMessage } from "../src/messaging/outbox.ts";
import { testEngine } from "./helpers/database.ts";
import { ADMIN_TOKEN, freePort } from "./helpers/instance.ts";
import { startSmtpServer } from "./helpers/smtp-server.ts";
import { waitFor } from "./helpers/wait.ts";

const MESSAGES = 12;

/**
 * A worker process killed with SIGKILL while it is sending: every message
 * written before is sent by the next process, each once. A worker process
 * needs a database another process can share, so this runs on PostgreSQL.
 *
 * The kill lands while the mail server holds the messages unanswered, so
 * none of them was accepted. Had it landed after the server's 250 and before
 * the row was marked sent, that one message would be sent again, with the
 * same Message-ID (at least once: SMTP has no way to ask whether a message
 * arrived).
 */
describe.runIf(testEngine === "postgres")("outbox across a crash (postgres)", () => {
  const adminUrl = process.env.TEST_DATABASE_URL ?? "";
  const dbName = `outbox_${randomBytes(5).toString("hex")}`;
  let databaseUrl = "";
  let handle: DatabaseHandle;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  const children: ChildProcess[] = [];

  const startWorker = async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["src/main.ts"], {
      cwd: path.resolve(import.meta.dirname, ".."),
      env: {
        ...process.env,
        HOST: "127.0.0.1",
        PORT: String(port),
        ORIGIN: "http://aid.test",
        DATABASE_URL: databaseUrl,
        ADMIN_TOKEN,
        ROLE: "worker",
        LOG_LEVEL: "error",
        SMTP_URL: smtp.url,
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    children.push(child);
    await waitFor(
      "the worker to start",
      async () =>
        (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status === 200,
      30_000,
    );
    return child;
  };
  const statuses = async () =>
    (
      await handle.db.selectFrom("outbound_messages").select(["status", "lease_until"]).execute()
    ).map((r) => (r.status === "pending" && r.lease_until !== null ? "leased" : r.status));

  beforeAll(async () => {
    const url = new URL(adminUrl);
    url.pathname = `/${dbName}`;
    databaseUrl = url.href;
    const admin = openPostgres({ url: adminUrl, maxConnections: 1 });
    await sql`CREATE DATABASE ${sql.id(dbName)}`.execute(admin.db);
    await admin.close();
    handle = openPostgres({ url: databaseUrl, maxConnections: 2 });
    await migrateToLatest(handle.db);
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await handle?.close();
    await smtp?.stop();
    const admin = openPostgres({ url: adminUrl, maxConnections: 1 });
    await sql`DROP DATABASE IF EXISTS ${sql.id(dbName)} WITH (FORCE)`.execute(admin.db);
    await admin.close();
  });

  it("sends every message once after the sending process is killed mid-send", async () => {
    // The events' transactions wrote their emails and committed.
    for (let i = 0; i < MESSAGES; i++) {
      await handle.db.transaction().execute(async (trx) => {
        await enqueueMessage(trx, {
          channel: "email",
          recipient: `coordinator${i}@example.org`,
          subject: `Update ${i}`,
          text: `Something happened (${i}).`,
          language: "en",
          dedupeKey: `crash-test:${i}`,
        });
      });
    }

    smtp.hold(true);
    const first = await startWorker();
    // It claimed messages and is waiting on the mail server's answer.
    await waitFor("a message held mid-send", () => smtp.heldCount() > 0);
    expect(await statuses()).toContain("leased");
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    expect(smtp.mails).toEqual([]);

    // Its leases would run out in minutes; the test does not wait for them.
    await handle.db
      .updateTable("outbound_messages")
      .set({ lease_until: sql`now() - interval '1 second'` })
      .where("lease_until", "is not", null)
      .execute();
    smtp.hold(false);
    await startWorker();
    await waitFor("every message sent", () => smtp.mails.length >= MESSAGES, 30_000);
    await waitFor("every row marked sent", async () =>
      (await statuses()).every((s) => s === "sent"),
    );

    const recipients = smtp.mails.flatMap((m) => m.envelopeTo).sort();
    expect(recipients).toEqual(
      Array.from({ length: MESSAGES }, (_, i) => `coordinator${i}@example.org`).sort(),
    );
    const ids = await handle.db.selectFrom("outbound_messages").select("id").execute();
    expect(smtp.mails.map((m) => m.parsed.messageId).sort()).toEqual(
      ids.map((r) => `<${r.id}@aid.test>`).sort(),
    );
  });
});
