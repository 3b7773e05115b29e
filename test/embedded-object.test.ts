import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/domain/ids.ts";
import { type InboxServer, startInboxServer } from "./helpers/inbox-server.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { waitFor } from "./helpers/wait.ts";

const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
/** The public collection in any of the forms ActivityStreams allows (Fedify sends `as:Public`). */
const isPublic = (value: unknown) =>
  value === PUBLIC || value === "as:Public" || value === "Public";

type Json = Record<string, unknown>;

/** A property that may be one value or an array of them, as an array. */
const all = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

interface Posted {
  id: string;
  objectId: string;
  url: string;
  createdAt: string;
  updatedAt: string;
}

/*
 * What a reader that only reads JSON gets in a `Create` or `Update`: a
 * follower whose inbox is a plain HTTP server on loopback (no Fedify, no
 * JSON-LD, no fetching) must find the need's text in the activity itself,
 * while the document at the object's id stays the full FEP-0837 proposal.
 */
describe("the Note embedded in Create and Update", () => {
  let a: TestInstance;
  let follower: InboxServer;
  let alice: RemoteActor;
  let food: string;

  const groupId = async () =>
    (
      await a.database.db
        .selectFrom("groups")
        .select("id")
        .where("handle", "=", "food")
        .executeTakeFirstOrThrow()
    ).id;

  /** The activity with this id as it arrived at the plain inbox, parsed as plain JSON. */
  async function delivered(activityId: string): Promise<Json> {
    const post = await waitFor(`${activityId} at the plain inbox`, () =>
      follower.posts().find((p) => p.id === activityId),
    );
    return JSON.parse(post!.body) as Json;
  }

  async function post(path: string, body: Json): Promise<Posted> {
    const res = await a.api("POST", path, body);
    expect(res.status).toBe(201);
    return (await res.json()) as Posted;
  }

  async function page(href: string): Promise<{ status: number; html: string }> {
    const res = await fetch(href, { headers: { accept: "text/html" } });
    return { status: res.status, html: await res.text() };
  }

  beforeAll(async () => {
    [a, follower, alice] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startInboxServer(),
      startRemoteActor("127.0.0.2"),
    ]);
    await a.api("POST", "/api/v1/groups", { handle: "food", name: "City A Food" });
    food = `${a.config.origin.origin}/groups/food`;
    const now = new Date();
    await a.database.db
      .insertInto("followers")
      .values({
        id: newId(),
        group_id: await groupId(),
        actor_id: new URL("/users/reader", follower.origin).href,
        inbox_url: follower.inbox.href,
        shared_inbox_url: null,
        follow_activity_id: null,
        state: "accepted",
        created_at: now,
        updated_at: now,
      })
      .execute();
    await a.database.db
      .insertInto("following")
      .values({
        id: newId(),
        group_id: await groupId(),
        actor_id: alice.actorId.href,
        inbox_url: alice.inbox.href,
        shared_inbox_url: alice.sharedInbox.href,
        follow_activity_id: `${food}#follows/alice`,
        state: "accepted",
        created_at: now,
        updated_at: now,
      })
      .execute();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), follower?.close(), alice?.close()]);
  });

  let need: Posted;
  let note: Json;

  it("gives a plain-JSON reader the need's text in the Create, without fetching anything", async () => {
    need = await post("/api/v1/groups/food/needs", {
      title: "20 insulin coolers",
      description: "For the clinic.\nMust keep 2–8 °C.",
      category: "medication",
      quantity: { amount: 20, unit: "one" },
      urgency: "high",
      contact: "Ana, +63 917 555 0101",
    });
    const create = await delivered(`${need.objectId}#create`);
    expect(create.type).toBe("Create");
    expect(create.actor).toBe(food);
    expect(typeof create.object).toBe("object");
    note = create.object as Json;
    expect(note).toMatchObject({
      id: need.objectId,
      type: "Note",
      attributedTo: food,
      url: need.url,
      name: "20 insulin coolers",
    });
    const content = note.content as string;
    expect(content).toContain("Need: 20 insulin coolers");
    expect(content).toContain("For the clinic.<br>Must keep 2–8 °C.");
    expect(content).toContain("Quantity: 20");
    expect(note.contentMap).toEqual({ en: content });
    expect(Date.parse(note.published as string)).toBe(Date.parse(need.createdAt));
    expect(note).not.toHaveProperty("updated");
    expect(all(note.to).some(isPublic)).toBe(true);
    expect(all(note.cc)).toEqual([`${food}/followers`]);
    const tags = all(note.tag) as Json[];
    expect(tags.map((t) => [t.type, t.name])).toEqual([
      ["Hashtag", "#MutualAid"],
      ["Hashtag", "#Need"],
      ["Hashtag", "#Medication"],
    ]);
    expect(new Set(tags.map((t) => t.href)).size).toBe(3);
    // The text's hashtag links lead where the tags do.
    for (const tag of tags) expect(content).toContain(`href="${tag.href}"`);
    // A plain Note: the FEP-0837 terms are only in the document at the id.
    for (const term of ["purpose", "publishes", "unitBased", "status", "urgency", "location"]) {
      expect(note).not.toHaveProperty(term);
    }
    expect(JSON.stringify(create)).not.toContain("valueflows");
    expect(JSON.stringify(create)).not.toContain("555 0101");
  });

  it("links each hashtag to its own page listing the matching needs and offers", async () => {
    const water = await post("/api/v1/groups/food/needs", {
      title: "Drinking water for the gym",
      category: "water",
    });
    const rice = await post("/api/v1/groups/food/offers", {
      title: "Rice to share",
      category: "food",
    });
    await delivered(`${rice.objectId}#create`);
    await delivered(`${water.objectId}#create`);
    const [mutualAid, needs, medication] = (all(note.tag) as Json[]).map((t) => t.href as string);
    const listed = async (href: string) => {
      const { status, html } = await page(href);
      expect(status, href).toBe(200);
      return {
        insulin: html.includes("20 insulin coolers"),
        water: html.includes("Drinking water for the gym"),
        rice: html.includes("Rice to share"),
      };
    };
    expect(await listed(mutualAid!)).toEqual({ insulin: true, water: true, rice: true });
    expect(await listed(needs!)).toEqual({ insulin: true, water: true, rice: false });
    expect(await listed(medication!)).toEqual({ insulin: true, water: false, rice: false });
    // An offer's #Offer leads to the offers.
    const offerNote = (await delivered(`${rice.objectId}#create`)).object as Json;
    const offerTag = (all(offerNote.tag) as Json[]).find((t) => t.name === "#Offer");
    expect(await listed(offerTag?.href as string)).toEqual({
      insulin: false,
      water: false,
      rice: true,
    });
  });

  it("serves the full Note and FEP-0837 Proposal at the object's id, with the same text", async () => {
    const res = await fetch(need.objectId, { headers: { accept: "application/activity+json" } });
    expect(res.status).toBe(200);
    const document = (await res.json()) as Json;
    expect(document.type).toEqual(["Note", "Proposal"]);
    expect(document).toMatchObject({
      purpose: "request",
      unitBased: true,
      status: "open",
      urgency: "high",
      publishes: {
        type: "Intent",
        resourceConformsTo: "urn:bayanihan:category:medication",
        availableQuantity: { hasUnit: "one", hasNumericalValue: "20" },
      },
    });
    for (const field of ["content", "contentMap", "url", "published", "attributedTo", "cc"]) {
      expect(all(document[field]), field).toEqual(all(note[field]));
    }
    expect((document.tag as Json[]).map((t) => t.href)).toEqual(
      (all(note.tag) as Json[]).map((t) => t.href),
    );
  });

  it("carries `updated` and the new text in the Update of an edit", async () => {
    const res = await a.api("PATCH", `/api/v1/needs/${need.id}`, {
      title: "25 insulin coolers",
      quantity: { amount: 25, unit: "one" },
    });
    expect(res.status).toBe(200);
    const edited = (await res.json()) as Posted;
    const update = await delivered(
      `${need.objectId}#update-${Date.parse(edited.updatedAt).toString()}`,
    );
    expect(update.type).toBe("Update");
    const updated = update.object as Json;
    expect(updated).toMatchObject({ id: need.objectId, type: "Note", name: "25 insulin coolers" });
    expect(updated.content).toContain("Need: 25 insulin coolers");
    expect(updated.content).toContain("Quantity: 25");
    expect(updated.contentMap).toEqual({ en: updated.content });
    expect(Date.parse(updated.updated as string)).toBe(Date.parse(edited.updatedAt));
    expect(Date.parse(updated.updated as string)).toBeGreaterThan(
      Date.parse(updated.published as string),
    );
  });

  it("addresses a followers-only need's embedded copy to the followers only", async () => {
    const hidden = await post("/api/v1/groups/food/needs", {
      title: "Names of evacuees",
      category: "other",
      audience: "followers",
    });
    const create = await delivered(`${hidden.objectId}#create`);
    const object = create.object as Json;
    expect(object.content).toContain("Names of evacuees");
    for (const addressed of [create, object]) {
      expect(all(addressed.to)).toEqual([`${food}/followers`]);
      expect([...all(addressed.cc), ...all(addressed.bto), ...all(addressed.bcc)]).toEqual([]);
    }
    expect([...all(create.to), ...all(object.to)].some(isPublic)).toBe(false);
  });

  it("names the language a person asked in, when the need came through the public form", async () => {
    const asked = await post("/api/v1/groups/food/needs", {
      title: "Pañales para bebé",
      category: "hygiene",
    });
    const now = new Date();
    // As publishing a request from the Spanish form leaves it.
    await a.database.db
      .insertInto("intake_requests")
      .values({
        id: newId(),
        group_id: await groupId(),
        purpose: "request",
        title: "Pañales para bebé",
        description: "",
        category: "hygiene",
        quantity_amount: null,
        quantity_unit: null,
        location_name: null,
        urgency: "normal",
        expires_at: null,
        contact: "",
        language: "es",
        state: "published",
        status_token_digest: createHash("sha256").update(newId()).digest("hex"),
        proposal_id: asked.id,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const res = await a.api("PATCH", `/api/v1/needs/${asked.id}`, { urgency: "high" });
    expect(res.status).toBe(200);
    const edited = (await res.json()) as Posted;
    const update = await delivered(
      `${asked.objectId}#update-${Date.parse(edited.updatedAt).toString()}`,
    );
    const object = update.object as Json;
    expect(object.contentMap).toEqual({ es: object.content });
    const document = (await (
      await fetch(asked.objectId, { headers: { accept: "application/activity+json" } })
    ).json()) as Json;
    expect(document.contentMap).toEqual({ es: document.content });
  });

  it("keeps what the origin serves when a Create embeds another text", async () => {
    const served = alice.publish("/notes/1", {
      "@context": AS_CONTEXT,
      id: `${alice.origin.href}notes/1`,
      type: "Note",
      attributedTo: alice.actorId.href,
      to: [PUBLIC],
      content: "<p>Blankets needed at the gym</p>",
    });
    const res = await alice.postSigned(new URL("/inbox", a.config.origin), {
      "@context": AS_CONTEXT,
      id: `${served.href}#create`,
      type: "Create",
      actor: alice.actorId.href,
      to: [PUBLIC],
      object: {
        id: served.href,
        type: "Note",
        attributedTo: alice.actorId.href,
        to: [PUBLIC],
        content: "<p>Send money to this account</p>",
      },
    });
    expect(res.status).toBe(202);
    const item = await waitFor("alice's note in the network feed", async () => {
      const feed = await a.api("GET", "/api/v1/groups/food/network", undefined, null);
      const { items } = (await feed.json()) as { items: Json[] };
      return items.find((i) => i.objectId === served.href);
    });
    expect(item?.summary).toBe("Blankets needed at the gym");
  });
});
