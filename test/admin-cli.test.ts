import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findInvitation } from "../src/services/accounts.ts";
import { verifyPassword } from "../src/services/passwords.ts";
import { authenticateCoordinatorToken } from "../src/services/tokens.ts";
import { runAdmin } from "./helpers/admin-cli.ts";
import { testEngine } from "./helpers/database.ts";
import { freePort } from "./helpers/instance.ts";
import { createProcessDatabase, type ProcessDatabase } from "./helpers/process-database.ts";
import { waitFor } from "./helpers/wait.ts";

const ORIGIN = "https://aid.example";
const clock = () => Temporal.Now.instant();

/** `npm run admin` as a process of its own, on the embedded database or PostgreSQL. */
// Each command is a process that opens the database: seconds each, under load more.
describe(`npm run admin (${testEngine})`, { timeout: 180_000 }, () => {
  let database: ProcessDatabase;
  let env: Record<string, string>;
  const admin = (args: readonly string[], input = "") => runAdmin(args, env, input);

  beforeAll(async () => {
    database = await createProcessDatabase();
    env = { ...database.env, ORIGIN };
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("lists its commands, shows each one's usage, and refuses what it does not know", async () => {
    const help = await admin(["--help"]);
    expect(help.code).toBe(0);
    for (const name of ["create-admin", "create-group", "invite", "tokens", "queue"]) {
      expect(help.stdout).toContain(name);
    }
    const usage = await admin(["create-admin", "--help"]);
    expect(usage.code).toBe(0);
    expect(usage.stdout).toContain("npm run admin -- create-admin <username>");
    const unknown = await admin(["make-coffee"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "make-coffee"');
  });

  it("creates an admin account with the password from stdin, never from the arguments", async () => {
    const created = await admin(["create-admin", "Ana"], "correct horse battery\n");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('Created the admin account "ana"');

    const row = await database.use((h) =>
      h.db.selectFrom("accounts").selectAll().where("username", "=", "ana").executeTakeFirst(),
    );
    expect(row?.is_admin).toBe(true);
    expect(await verifyPassword("correct horse battery", row!.password_hash)).toBe(true);

    const taken = await admin(["create-admin", "ana"], "another long password\n");
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain("That username is taken");

    const short = await admin(["create-admin", "ben"], "short\n");
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("too short");
    const extra = await admin(["create-admin", "ben", "correct horse battery"]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain("unexpected argument");
    const accounts = await database.use((h) =>
      h.db.selectFrom("accounts").select("username").execute(),
    );
    expect(accounts.map((a) => a.username)).toEqual(["ana"]);
  });

  it("creates a collective and an invitation for its coordinators", async () => {
    const created = await admin(["create-group", "food", "--name", "Food bank"]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`${ORIGIN}/groups/food`);
    const again = await admin(["create-group", "food", "--name", "Other"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("handle is taken");
    const bad = await admin(["create-group", "Food!", "--name", "Bad"]);
    expect(bad.code).toBe(1);
    const policy = await admin(["create-group", "water", "--name", "W", "--follow-policy", "x"]);
    expect(policy.code).toBe(2);

    const invited = await admin(["invite", "--group", "food"]);
    expect(invited.code).toBe(0);
    const link = invited.stdout.match(/https:\/\/aid\.example\/invitations\/(\S+)/);
    expect(link).not.toBeNull();
    const lookup = await database.use((h) => findInvitation({ db: h.db, clock }, link![1]!));
    expect(lookup).toMatchObject({ state: "open", group: { handle: "food" } });

    expect((await admin(["invite"])).code).toBe(2);
    const unknown = await admin(["invite", "--group", "nobody"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no collective with the handle "nobody"');
    const groups = await database.use((h) => h.db.selectFrom("groups").select("handle").execute());
    expect(groups.map((g) => g.handle)).toEqual(["food"]);
  });

  it("lists and revokes a collective's tokens; a revoked token is refused", async () => {
    const created = await admin(["tokens", "create", "food", "--label", "sheet sync"]);
    expect(created.code).toBe(0);
    const token = created.stdout.match(/byh_\S+/)![0];
    const id = created.stdout.match(/Token (\S+)/)![1]!;
    const authenticate = () =>
      database.use((h) => authenticateCoordinatorToken({ db: h.db, clock }, token));
    expect(await authenticate()).not.toBeNull();

    const listed = await admin(["tokens", "list", "food"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain("sheet sync");
    expect(listed.stdout).not.toContain(token);

    const revoked = await admin(["tokens", "revoke", "food", id]);
    expect(revoked.code).toBe(0);
    expect(await authenticate()).toBeNull();
    const twice = await admin(["tokens", "revoke", "food", id]);
    expect(twice.code).toBe(1);
    expect((await admin(["tokens", "list", "food"])).stdout).toContain("has no tokens");
    expect((await admin(["tokens", "rename", "food"])).code).toBe(2);
  });

  it("shows the queue by kind, the parked hosts and the recent delivery failures", async () => {
    await database.use(async (h) => {
      const message = sql`${JSON.stringify({ type: "outbox" })}::text::jsonb`;
      await sql`
        INSERT INTO fedify_queue (message, lane, available_at, created_at, destination)
        VALUES (${message}, 'delivery', now(), now() - interval '2 hours', 'slow.example'),
               (${message}, 'delivery', now(), now(), 'slow.example'),
               (${message}, 'inbox', now(), now(), NULL)`.execute(h.db);
      await sql`
        INSERT INTO fedify_queue_destinations (destination, failures, parked_until, updated_at)
        VALUES ('slow.example', 7, now() + interval '1 hour', now()),
               ('fine.example', 1, NULL, now())`.execute(h.db);
      await h.db
        .insertInto("delivery_failures")
        .values({
          inbox_url: "https://gone.example/inbox",
          activity_id: "https://aid.example/activities/1",
          activity_type: "Create",
          attempts: 1,
          last_error: "410 Gone",
          failed_at: new Date(),
          reason: "gone",
        })
        .execute();
    });
    const shown = await admin(["queue"]);
    expect(shown.stderr).toBe("");
    expect(shown.code).toBe(0);
    const lines = shown.stdout.split("\n");
    expect(lines.find((l) => l.includes("delivery:"))).toMatch(
      /delivery: 2 message\(s\), oldest PT(1H59M5\d|2H0?M?\d*)S?/,
    );
    expect(lines.find((l) => l.includes("inbox:"))).toContain("inbox: 1 message(s)");
    expect(shown.stdout).toContain("slow.example  7 failure(s) in a row");
    expect(shown.stdout).not.toContain("fine.example");
    expect(shown.stdout).toContain("gone  https://gone.example/inbox");
    expect((await admin(["queue", "--failures", "lots"])).code).toBe(2);
  });

  it("refuses the embedded database while the server has it open; PostgreSQL it shares", async () => {
    const port = await freePort();
    const server: ChildProcess = spawn(process.execPath, ["src/main.ts"], {
      cwd: path.resolve(import.meta.dirname, ".."),
      env: {
        ...process.env,
        ...env,
        HOST: "127.0.0.1",
        PORT: String(port),
        LOG_LEVEL: "error",
        ADMIN_TOKEN: "",
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const exited = new Promise((resolve) => server.once("exit", resolve));
    try {
      await waitFor(
        "the server to start",
        async () =>
          (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status === 200,
        60_000,
      );
      const alongside = await admin(["create-group", "water", "--name", "Water"]);
      if (testEngine === "pglite") {
        expect(alongside.code).toBe(1);
        expect(alongside.stderr).toContain("is in use by another process");
        expect(alongside.stderr).toContain(`pid ${server.pid}`);
      } else {
        expect(alongside.code).toBe(0);
      }
      // The server still has its data and serves it.
      const group = await fetch(`http://127.0.0.1:${port}/api/v1/groups/food`);
      expect(group.status).toBe(200);
    } finally {
      server.kill("SIGTERM");
      await exited;
    }
    // Once the server has stopped, the command runs on either.
    const created = await admin(["create-group", "tools", "--name", "Tools"]);
    expect(created.code).toBe(0);
  });
});
