import type { MessageQueue } from "@fedify/fedify";
import { describe, expect, it } from "vitest";
import {
  createInboxIntake,
  inboxRecipient,
  isPlainActivity,
  type VerifiedInboxPost,
} from "./inbox-intake.ts";

const ORIGIN = new URL("https://aid.example");
const ACTOR = "https://peer.example/users/alice";
const create = {
  "@context": "https://www.w3.org/ns/activitystreams",
  id: `${ACTOR}/activities/1`,
  type: "Create",
  actor: ACTOR,
  object: `${ACTOR}/notes/1`,
  signature: { type: "RsaSignature2017", creator: `${ACTOR}#main-key`, signatureValue: "x" },
};

function post(path: string, activity: Record<string, unknown>): VerifiedInboxPost {
  return {
    get request(): Request {
      throw new Error("the short path needs no request");
    },
    pathname: path,
    activity,
    actorId: new URL(ACTOR),
  };
}

function recordingQueue(): MessageQueue & { messages: unknown[] } {
  const messages: unknown[] = [];
  return {
    messages,
    async enqueue(message) {
      messages.push(message);
    },
    async listen() {},
  };
}

describe("inboxRecipient", () => {
  it("tells the shared inbox from a group's, and neither from other paths", () => {
    expect(inboxRecipient("/inbox")).toBeNull();
    expect(inboxRecipient("/inbox/")).toBeNull();
    expect(inboxRecipient("/groups/food_bank/inbox")).toBe("food_bank");
    expect(inboxRecipient("/groups/Food/inbox")).toBeUndefined();
    expect(inboxRecipient("/groups/food/outbox")).toBeUndefined();
    expect(inboxRecipient("/inboxes")).toBeUndefined();
  });
});

describe("isPlainActivity", () => {
  it("wants an http(s) id and a type given as text", () => {
    expect(isPlainActivity(create)).toBe(true);
    expect(isPlainActivity({ ...create, type: ["Create", "as:Create"] })).toBe(true);
    expect(isPlainActivity({ ...create, id: undefined })).toBe(false);
    expect(isPlainActivity({ ...create, id: "urn:uuid:1" })).toBe(false);
    expect(isPlainActivity({ ...create, id: "not a url" })).toBe(false);
    expect(isPlainActivity({ ...create, type: undefined })).toBe(false);
    expect(isPlainActivity({ ...create, type: [] })).toBe(false);
    expect(isPlainActivity({ ...create, type: [{ "@id": "x" }] })).toBe(false);
  });
});

describe("createInboxIntake", () => {
  it("queues the message Fedify's own inbox would queue, and answers 202", async () => {
    const queue = recordingQueue();
    const intake = createInboxIntake({ queue, origin: ORIGIN, groupExists: async () => true });
    const answer = await intake.accept(post("/groups/food/inbox", create));
    expect(answer?.status).toBe(202);
    expect(queue.messages).toEqual([
      {
        type: "inbox",
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        baseUrl: "https://aid.example",
        // Kept whole, its LD signature too (forwarding needs it); marked
        // unverified so that Fedify's worker does not normalise it to check.
        activity: create,
        ldSignatureVerified: false,
        identifier: "food",
        attempt: 0,
        started: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        traceContext: {},
      },
    ]);
    await intake.accept(post("/inbox", create));
    expect(queue.messages[1]).toMatchObject({ identifier: null });
  });

  it("leaves to Fedify what it does not recognise, queueing nothing", async () => {
    const queue = recordingQueue();
    const asked: string[] = [];
    const intake = createInboxIntake({
      queue,
      origin: ORIGIN,
      groupExists: async (handle) => {
        asked.push(handle);
        return handle === "food";
      },
    });
    expect(await intake.accept(post("/groups/nobody/inbox", create))).toBeNull();
    expect(await intake.accept(post("/inbox", { ...create, id: undefined }))).toBeNull();
    expect(await intake.accept(post("/groups/food/followers", create))).toBeNull();
    expect(asked).toEqual(["nobody"]);
    expect(queue.messages).toEqual([]);
  });

  it("answers nothing when the queue cannot take the message", async () => {
    const failing: MessageQueue = {
      enqueue: async () => {
        throw new Error("the database is away");
      },
      listen: async () => {},
    };
    const intake = createInboxIntake({
      queue: failing,
      origin: ORIGIN,
      groupExists: async () => true,
    });
    await expect(intake.accept(post("/inbox", create))).rejects.toThrow("the database is away");
  });
});
