import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../src/db/connect.ts";
import { createMigrator } from "../src/db/migrate.ts";
import { listNotifications } from "../src/db/notifications.repo.ts";
import { messagesFor } from "../src/web/i18n/locale.ts";
import { notificationText } from "../src/web/i18n/notification-text.ts";
import { createTestDatabase, testEngine } from "./helpers/database.ts";

const MIGRATION = "2026_12_10_500000_notification_messages";

/** Every sentence the old code wrote, and one it never did. */
const OLD_ROWS: [string, string, number][] = [
  ["01", "New answer to “Rice for 20 families”", 1],
  ["02", "@ana@m.example replied to “Water: 40 “big” jugs”", 1],
  ["03", "City B Food pledged 20 litre to “Drinking water”", 1],
  ["04", "City B Food pledged to “Blankets”", 1],
  ["05", "Your pledge was accepted", 1],
  ["06", "Your pledge was declined", 1],
  ["07", "Your pledge was declined: we found enough", 1],
  ["08", "Your pledge was declined: The other group's account was deleted.", 1],
  ["09", "City B Food withdrew its pledge to “Rice”", 1],
  ["10", "https://b.example/users/relief asks to follow", 1],
  ["11", "3 new follow requests from b.example", 3],
  ["12", "Something an older version said", 1],
];

/**
 * Notifications were English sentences: the migration reads them back into
 * message keys and values, so they are worded in each reader's language.
 */
describe(`the notification messages migration (${testEngine})`, () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await createTestDatabase();
  });
  afterAll(async () => {
    await handle.close();
  });

  it("turns old sentences into keys, renders them per language, and goes back", async () => {
    const migrator = createMigrator(handle.db, handle.schema);
    const names = (await migrator.getMigrations()).map((m) => m.name);
    expect(names).toContain(MIGRATION);
    const before = names[names.indexOf(MIGRATION) - 1]!;
    expect((await migrator.migrateTo(before)).error).toBeUndefined();
    await sql`
      INSERT INTO groups (id, handle, name, created_at, updated_at)
      VALUES ('g1', 'food', 'Food', now(), now())
    `.execute(handle.db);
    for (const [n, summary, count] of OLD_ROWS) {
      await sql`
        INSERT INTO notifications (id, group_id, kind, subject_id, summary, created_at, count)
        VALUES (${`0190a000-0000-7000-8000-0000000000${n}`}, 'g1', 'response', 's', ${summary},
          now(), ${count})
      `.execute(handle.db);
    }
    expect((await migrator.migrateTo(MIGRATION)).error).toBeUndefined();

    const rows = (
      await listNotifications(handle.db, "g1", { limit: 50, unreadOnly: false })
    ).reverse();
    expect(rows.map((r) => r.message)).toEqual([
      { key: "new-answer", title: "Rice for 20 families" },
      { key: "replied", actor: "@ana@m.example", title: "Water: 40 “big” jugs" },
      {
        key: "pledged",
        actor: "City B Food",
        title: "Drinking water",
        quantity: { amount: "20", unit: "litre" },
      },
      { key: "pledged", actor: "City B Food", title: "Blankets", quantity: null },
      { key: "pledge-accepted" },
      { key: "pledge-declined", reason: null },
      { key: "pledge-declined", reason: "we found enough" },
      { key: "pledge-declined-actor-gone" },
      { key: "pledge-withdrawn", actor: "City B Food", title: "Rice" },
      { key: "follow-request", actor: "https://b.example/users/relief", host: "b.example" },
      { key: "follow-request", actor: "b.example", host: "b.example" },
      { key: "text", text: "Something an older version said" },
    ]);

    const say = (locale: "en" | "es" | "fil") =>
      rows.map((r) => notificationText(messagesFor(locale), locale, r.message, r.count));
    // English reads as it was written.
    expect(say("en")).toEqual(OLD_ROWS.map(([, summary]) => summary).map(englishToday));
    expect(say("es").slice(0, 3)).toEqual([
      "Nueva respuesta a “Rice for 20 families”",
      "@ana@m.example respondió a “Water: 40 “big” jugs”",
      "City B Food se comprometió con “Drinking water” (20 litros)",
    ]);
    expect(say("fil")[10]).toBe("3 bagong hiling na sumunod mula sa b.example");
    expect(say("es")[10]).toBe("3 solicitudes de seguimiento nuevas de b.example");

    // Down writes the old sentences back.
    expect((await migrator.migrateTo(before)).error).toBeUndefined();
    const back = await sql<{ summary: string }>`
      SELECT summary FROM notifications ORDER BY id`.execute(handle.db);
    expect(back.rows.map((r) => r.summary)).toEqual(OLD_ROWS.map(([, summary]) => summary));
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
  });
});

/** The few sentences the catalog now words a little differently from the old code. */
function englishToday(old: string): string {
  if (old === "Your pledge was accepted" || old === "Your pledge was declined") return `${old}.`;
  if (old === "City B Food pledged 20 litre to “Drinking water”") {
    return "City B Food pledged 20 liters to “Drinking water”";
  }
  if (old === "Your pledge was declined: The other group's account was deleted.") {
    return "Your pledge was declined: the other group's account was deleted.";
  }
  return old;
}
