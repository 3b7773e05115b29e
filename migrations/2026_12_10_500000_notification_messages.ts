import { type Kysely, sql } from "kysely";

/**
 * Notifications were stored as English sentences, so a coordinator reading
 * in Spanish or Filipino saw English. They become a message key with its
 * values (`message`), rendered in the reader's language when read. Rows
 * written the old way are read back into keys by the sentences this code
 * wrote; one that matches none keeps its words as `{"key":"text"}`.
 *
 * The patterns are copied here on purpose: migrations never import
 * application code, which goes on changing after this has run.
 */

type Message = Record<string, unknown>;

const ACTOR_GONE = "Your pledge was declined: The other group's account was deleted.";

export function messageOfSummary(summary: string): Message {
  if (summary === "Your pledge was accepted") return { key: "pledge-accepted" };
  if (summary === ACTOR_GONE) return { key: "pledge-declined-actor-gone" };
  if (summary === "Your pledge was declined") return { key: "pledge-declined", reason: null };
  if (summary.startsWith("Your pledge was declined: ")) {
    return { key: "pledge-declined", reason: summary.slice("Your pledge was declined: ".length) };
  }
  let m = /^New answer to “([\s\S]*)”$/.exec(summary);
  if (m !== null) return { key: "new-answer", title: m[1] as string };
  m = /^([\s\S]*?) withdrew its pledge to “([\s\S]*)”$/.exec(summary);
  if (m !== null) return { key: "pledge-withdrawn", actor: m[1] as string, title: m[2] as string };
  m = /^([\s\S]*?) pledged(?: (\S+) (\S+))? to “([\s\S]*)”$/.exec(summary);
  if (m !== null) {
    const actor = m[1] as string;
    const amount = m[2];
    const unit = m[3];
    const title = m[4] as string;
    return {
      key: "pledged",
      actor,
      title,
      quantity: amount === undefined ? null : { amount, unit: unit as string },
    };
  }
  m = /^([\s\S]*?) replied to “([\s\S]*)”$/.exec(summary);
  if (m !== null) return { key: "replied", actor: m[1] as string, title: m[2] as string };
  m = /^(\S+) asks to follow$/.exec(summary);
  if (m !== null) {
    const actor = m[1] as string;
    let host = "";
    try {
      host = new URL(actor).host;
    } catch {
      // Not a URL: the host stays unknown, the actor is still shown.
    }
    return { key: "follow-request", actor, host };
  }
  m = /^\d+ new follow requests from (\S+)$/.exec(summary);
  if (m !== null) return { key: "follow-request", actor: m[1] as string, host: m[1] as string };
  return { key: "text", text: summary };
}

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE notifications ADD COLUMN message jsonb`.execute(db);
  // Keyset batches by id: bounded memory however many rows there are.
  let after = "";
  for (;;) {
    const rows = await db
      .selectFrom("notifications")
      .select(["id", "summary"])
      .where("id", ">", after)
      .orderBy("id")
      .limit(500)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      // Through text: both drivers then store the same jsonb document.
      const message = JSON.stringify(messageOfSummary(row.summary as string));
      await sql`UPDATE notifications SET message = ${message}::text::jsonb WHERE id = ${row.id}`.execute(
        db,
      );
    }
    after = rows.at(-1)?.id as string;
  }
  await sql`ALTER TABLE notifications ALTER COLUMN message SET NOT NULL`.execute(db);
  await sql`ALTER TABLE notifications DROP COLUMN summary`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // Back to English sentences, as the old code wrote them.
  await sql`ALTER TABLE notifications ADD COLUMN summary text`.execute(db);
  await sql`
    UPDATE notifications SET summary = CASE message->>'key'
      WHEN 'new-answer' THEN 'New answer to “' || (message->>'title') || '”'
      WHEN 'pledged' THEN (message->>'actor') || ' pledged'
        || coalesce(' ' || (message->'quantity'->>'amount') || ' ' || (message->'quantity'->>'unit'), '')
        || ' to “' || (message->>'title') || '”'
      WHEN 'replied' THEN (message->>'actor') || ' replied to “' || (message->>'title') || '”'
      WHEN 'pledge-accepted' THEN 'Your pledge was accepted'
      WHEN 'pledge-declined' THEN 'Your pledge was declined'
        || coalesce(': ' || (message->>'reason'), '')
      WHEN 'pledge-declined-actor-gone' THEN ${ACTOR_GONE}
      WHEN 'pledge-withdrawn' THEN (message->>'actor') || ' withdrew its pledge to “'
        || (message->>'title') || '”'
      WHEN 'follow-request' THEN CASE WHEN count > 1
        THEN count || ' new follow requests from ' || (message->>'host')
        ELSE (message->>'actor') || ' asks to follow' END
      ELSE coalesce(message->>'text', '')
    END`.execute(db);
  await sql`ALTER TABLE notifications ALTER COLUMN summary SET NOT NULL`.execute(db);
  await sql`ALTER TABLE notifications DROP COLUMN message`.execute(db);
}
