import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngine } from "../../test/helpers/database.ts";
import type { DatabaseHandle } from "../db/connect.ts";
import { claimDueMessages, findOutboundMessage } from "../db/outbound-messages.repo.ts";
import { enqueueMessage } from "./outbox.ts";
import { createOutboxWorker } from "./outbox-worker.ts";
import type { MessageChannel, MessageTransport, OutboundMessage } from "./transport.ts";

/** A transport at the edge of the system: records what it is handed, fails while told to. */
function recordingTransport(channel: MessageChannel) {
  const sent: OutboundMessage[] = [];
  let failing: string | null = null;
  const transport: MessageTransport & {
    sent: OutboundMessage[];
    failWith(reason: string | null): void;
  } = {
    channel,
    sent,
    failWith(reason) {
      failing = reason;
    },
    async send(message) {
      if (failing !== null) throw new Error(failing);
      sent.push(message);
    },
  };
  return transport;
}

describe(`outbound message outbox (${testEngine})`, () => {
  let handle: DatabaseHandle;
  let now = Temporal.Instant.from("2026-12-10T08:00:00Z");
  const clock = () => now;
  let counter = 0;
  const message = (channel: MessageChannel = "email") => ({
    channel,
    recipient: channel === "email" ? "maria@example.org" : "+639171234567",
    subject: "New request",
    text: "Someone needs water.",
    html: "<p>Someone needs water.</p>",
    headers: { "X-Kind": "new-request" },
    language: "es",
    dedupeKey: `test:${++counter}`,
  });
  const countRows = async () =>
    Number(
      (
        await handle.db
          .selectFrom("outbound_messages")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    handle = await createTestDatabase();
  });
  afterAll(async () => {
    await handle.close();
  });

  it("writes a message only when the event's transaction commits, and once per dedupe key", async () => {
    const before = await countRows();
    const rolledBack = message();
    await expect(
      handle.db.transaction().execute(async (trx) => {
        await enqueueMessage(trx, rolledBack, now);
        throw new Error("the event failed");
      }),
    ).rejects.toThrow("the event failed");
    expect(await countRows()).toBe(before);

    const kept = message();
    await handle.db.transaction().execute(async (trx) => {
      await enqueueMessage(trx, kept, now);
      await enqueueMessage(trx, { ...kept, text: "written twice" }, now);
    });
    await enqueueMessage(handle.db, kept, now);
    expect(await countRows()).toBe(before + 1);

    const transport = recordingTransport("email");
    const worker = createOutboxWorker({ database: handle, clock, transports: [transport] });
    expect(await worker.drain()).toBe(1);
    expect(transport.sent).toHaveLength(1);
    expect(transport.sent[0]).toMatchObject({
      recipient: "maria@example.org",
      subject: "New request",
      text: "Someone needs water.",
      html: "<p>Someone needs water.</p>",
      headers: { "X-Kind": "new-request" },
      language: "es",
      dedupeKey: kept.dedupeKey,
      attempts: 1,
    });
    const stored = await findOutboundMessage(handle.db, transport.sent[0]!.id);
    expect(stored?.status).toBe("sent");
    // Sent is sent: the next pass has nothing to do.
    expect(await worker.drain()).toBe(0);
    expect(transport.sent).toHaveLength(1);
  });

  it("leaves messages of a channel without a transport pending", async () => {
    const sms = message("sms");
    await enqueueMessage(handle.db, sms, now);
    const email = recordingTransport("email");
    await createOutboxWorker({ database: handle, clock, transports: [email] }).drain();
    expect(email.sent.map((m) => m.dedupeKey)).not.toContain(sms.dedupeKey);
    const row = await handle.db
      .selectFrom("outbound_messages")
      .select(["status", "attempts"])
      .where("dedupe_key", "=", sms.dedupeKey)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: "pending", attempts: 0 });

    const phone = recordingTransport("sms");
    await createOutboxWorker({ database: handle, clock, transports: [phone] }).drain();
    expect(phone.sent.map((m) => m.dedupeKey)).toEqual([sms.dedupeKey]);
  });

  it("gives a crashed worker's claim back when its lease runs out", async () => {
    const m = message();
    await enqueueMessage(handle.db, m, now);
    // A worker claims the row and dies before sending it.
    const claimed = await claimDueMessages(handle.db, ["email"], now, now.add({ minutes: 5 }), 10);
    expect(claimed.map((c) => c.message.dedupeKey)).toEqual([m.dedupeKey]);

    const transport = recordingTransport("email");
    const worker = createOutboxWorker({ database: handle, clock, transports: [transport] });
    expect(await worker.drain()).toBe(0);
    now = now.add({ minutes: 5, seconds: 1 });
    expect(await worker.drain()).toBe(1);
    expect(transport.sent.map((s) => [s.dedupeKey, s.attempts])).toEqual([[m.dedupeKey, 2]]);
  });

  it("retries with a growing wait and gives up after the last attempt", async () => {
    const m = message();
    await enqueueMessage(handle.db, m, now);
    const transport = recordingTransport("email");
    transport.failWith("421 try later");
    const worker = createOutboxWorker(
      { database: handle, clock, transports: [transport] },
      { maxAttempts: 3, retryDelay: (n) => Temporal.Duration.from({ minutes: 10 * n }) },
    );
    const state = async () =>
      handle.db
        .selectFrom("outbound_messages")
        .select(["status", "attempts", "last_error", "next_attempt_at"])
        .where("dedupe_key", "=", m.dedupeKey)
        .executeTakeFirstOrThrow();

    await worker.drain();
    let row = await state();
    expect([row.status, row.attempts, row.last_error]).toEqual(["pending", 1, "421 try later"]);
    expect(new Date(row.next_attempt_at).getTime()).toBe(
      now.add({ minutes: 10 }).epochMilliseconds,
    );

    // Not due yet: nothing is tried.
    now = now.add({ minutes: 9 });
    await worker.drain();
    expect((await state()).attempts).toBe(1);

    now = now.add({ minutes: 1 });
    await worker.drain();
    row = await state();
    expect([row.status, row.attempts]).toEqual(["pending", 2]);
    now = now.add({ minutes: 20 });
    await worker.drain();
    row = await state();
    expect([row.status, row.attempts, row.last_error]).toEqual(["failed", 3, "421 try later"]);

    // Failed is final, even once the transport works again.
    transport.failWith(null);
    now = now.add({ hours: 5 });
    await worker.drain();
    expect(transport.sent.map((s) => s.dedupeKey)).not.toContain(m.dedupeKey);
  });

  it("never hands one message to two workers at once", async () => {
    const keys: string[] = [];
    for (let i = 0; i < 30; i++) {
      const m = message();
      keys.push(m.dedupeKey);
      await enqueueMessage(handle.db, m, now);
    }
    // A second handle on the same tables plays the second process where the engine allows one.
    const second =
      testEngine === "postgres"
        ? await (async () => {
            const { openPostgres } = await import("../db/connect.ts");
            const { siblingTarget } = await import("../../test/helpers/database.ts");
            const target = await siblingTarget(handle);
            return openPostgres({ url: target.url, schema: target.schema, maxConnections: 4 });
          })()
        : handle;
    try {
      const a = recordingTransport("email");
      const b = recordingTransport("email");
      // Slow sends keep both workers' claims overlapping.
      const slow = (t: ReturnType<typeof recordingTransport>): MessageTransport => ({
        channel: "email",
        async send(m) {
          await new Promise((r) => setTimeout(r, 5));
          await t.send(m);
        },
      });
      const options = { batchSize: 3 };
      await Promise.all([
        createOutboxWorker({ database: handle, clock, transports: [slow(a)] }, options).drain(),
        createOutboxWorker({ database: second, clock, transports: [slow(b)] }, options).drain(),
      ]);
      const sent = [...a.sent, ...b.sent].map((m) => m.dedupeKey).filter((k) => keys.includes(k));
      expect(sent.toSorted()).toEqual(keys.toSorted());
      if (testEngine === "postgres") {
        expect(a.sent.length).toBeGreaterThan(0);
        expect(b.sent.length).toBeGreaterThan(0);
      }
    } finally {
      if (second !== handle) await second.close();
    }
  });
});
