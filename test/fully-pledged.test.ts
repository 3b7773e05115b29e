import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/domain/ids.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * A need whose quantity is all pledged stays visible, but below everything
 * that still needs help, reads as fully pledged (never "Critical · 0 … still
 * needed"), and asks nobody for more help.
 */
describe("fully pledged needs", () => {
  let instance: TestInstance;
  let token: string;
  let incidentId: string;
  const needs = new Map<string, { id: string; url: string }>();
  const page = async (path: string, lang = "en") =>
    (
      await fetch(new URL(path, instance.config.origin), {
        headers: { accept: "text/html", "accept-language": lang },
      })
    ).text();
  const titlesIn = (html: string) =>
    [
      ...html
        .slice(html.indexOf('<ol class="items board">'))
        .split("</ol>")[0]!
        .matchAll(/<li(?: data-covered="true")?><a href="[^"]*">([^<]*)<\/a>/g),
    ].map((m) => m[1]);

  beforeAll(async () => {
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", { handle: "aid", name: "Aid collective" });
    token = (await (await instance.api("POST", "/api/v1/groups/aid/tokens")).json()).token;
    const incident = await (
      await instance.api(
        "POST",
        "/api/v1/groups/aid/incidents",
        {
          name: "Flooding in Marikina",
          area: { center: { latitude: 14.65, longitude: 121.1 }, radiusKm: 20 },
          startsAt: "2026-01-01T00:00:00Z",
        },
        token,
      )
    ).json();
    incidentId = incident.id;
    for (const [title, urgency, amount] of [
      ["Water jugs for the covered court", "critical", 40],
      ["Rice for the Tumana shelter", "low", 25],
      ["Tarpaulins for the chapel roof", "critical", 2],
    ] as const) {
      const res = await instance.api(
        "POST",
        "/api/v1/groups/aid/needs",
        {
          title,
          category: "water",
          urgency,
          quantity: { amount, unit: "one" },
          incident: incident.objectId,
        },
        token,
      );
      expect(res.status).toBe(201);
      needs.set(title, await res.json());
    }
    // Someone offers all of it through the page; the coordinator accepts all of it.
    for (const [title, amount] of [
      ["Water jugs for the covered court", 40],
      ["Tarpaulins for the chapel roof", 2],
    ] as const) {
      const need = needs.get(title)!;
      const help = await postForm(new URL(`/needs/${need.id}/help`, instance.config.origin), {
        message: `We can bring ${amount}`,
        contact: "",
      });
      expect(help.status).toBe(201);
      const [answer] = (
        await (
          await instance.api("GET", `/api/v1/needs/${need.id}/responses`, undefined, token)
        ).json()
      ).items;
      const accepted = await instance.api(
        "POST",
        `/api/v1/responses/${answer.id}/accept`,
        { quantity: { amount, unit: "one" } },
        token,
      );
      expect(accepted.status).toBe(200);
    }
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("comes after an open need of lower urgency on the boards, as fully pledged", async () => {
    for (const path of [`/incidents/${incidentId}`, "/groups/aid/board"]) {
      const html = await page(path);
      expect(titlesIn(html), path).toEqual([
        "Rice for the Tumana shelter",
        "Tarpaulins for the chapel roof",
        "Water jugs for the covered court",
      ]);
      const water = html.slice(html.indexOf(">Water jugs for the covered court<"));
      const item = water.slice(0, water.indexOf("</li>"));
      expect(item).toContain('<span class="tag covered">Fully pledged</span>');
      expect(item).not.toContain("Critical");
      expect(item).not.toContain("still needed");
      expect(item).toContain("40");
      expect(await page(path, "es")).toContain("Cubierta por completo");
    }
  });

  it("never pushes an open need off a board cut short", async () => {
    // Two fully pledged critical needs would fill a board of one, read most urgent first.
    const res = await instance.api("GET", `/api/v1/incidents/${incidentId}/board?limit=1`);
    expect(res.status).toBe(200);
    const board = await res.json();
    expect(board.items.map((i: { title: string }) => i.title)).toEqual([
      "Rice for the Tumana shelter",
    ]);
  });

  it("says so on the text page, after the open one", async () => {
    const text = await page(`/incidents/${incidentId}/text`);
    const rice = text.indexOf("Rice for the Tumana shelter");
    const water = text.indexOf("Water jugs for the covered court");
    expect(rice).toBeGreaterThan(-1);
    expect(water).toBeGreaterThan(rice);
    const line = text.slice(water, text.indexOf("\n", water));
    expect(line).toContain("fully pledged");
    expect(line).not.toMatch(/\b0\b/);
  });

  it("offers no I can help form on its page, and refuses one posted anyway", async () => {
    const water = needs.get("Water jugs for the covered court")!;
    const html = await page(`/needs/${water.id}`);
    expect(html).not.toContain(`action="/needs/${water.id}/help"`);
    expect(html).toContain("Fully pledged: others have promised all of it");
    expect(html).toContain("<dd>All 40 pledged</dd>");
    expect(html).toContain("<dd>Fully pledged</dd>");
    expect(html).not.toContain("still needed");
    const rice = needs.get("Rice for the Tumana shelter")!;
    expect(await page(`/needs/${rice.id}`)).toContain(`action="/needs/${rice.id}/help"`);
    const before = (
      await (
        await instance.api("GET", `/api/v1/needs/${water.id}/responses`, undefined, token)
      ).json()
    ).items.length;
    const late = await postForm(
      new URL(`/needs/${water.id}/help?lang=es`, instance.config.origin),
      { message: "More jugs", contact: "" },
    );
    expect(late.status).toBe(409);
    expect(late.body).toContain("Cubierta por completo");
    const after = (
      await (
        await instance.api("GET", `/api/v1/needs/${water.id}/responses`, undefined, token)
      ).json()
    ).items.length;
    expect(after).toBe(before);
  });

  it("offers no pledge form for an allied group's need that is fully pledged", async () => {
    const db = instance.database.db;
    const group = await db
      .selectFrom("groups")
      .select("id")
      .where("handle", "=", "aid")
      .executeTakeFirstOrThrow();
    const actor = "https://far.example/groups/relief";
    const now = new Date();
    await db
      .insertInto("following")
      .values({
        id: newId(),
        group_id: group.id,
        actor_id: actor,
        inbox_url: `${actor}/inbox`,
        shared_inbox_url: null,
        follow_activity_id: `${actor}#follow`,
        state: "accepted",
        created_at: now,
        updated_at: now,
      })
      .execute();
    for (const [title, remaining] of [
      ["Boats for the flooded streets", "0"],
      ["Life vests for the rescue team", "4"],
    ] as const) {
      const id = newId();
      await db
        .insertInto("remote_proposals")
        .values({
          id,
          object_id: `https://far.example/objects/${id}`,
          origin_actor_id: actor,
          origin_actor_name: "Relief",
          origin_actor_handle: null,
          kind: "proposal",
          purpose: "request",
          title,
          summary_text: "",
          category: "transport",
          category_uri: "urn:bayanihan:category:transport",
          quantity_amount: "5",
          quantity_unit: "one",
          remaining_amount: remaining,
          location_name: null,
          latitude: null,
          longitude: null,
          urgency: "critical",
          status: "pledged",
          expires_at: null,
          url: `https://far.example/needs/${id}`,
          published_at: now,
          remote_updated_at: now,
          received_at: now,
        })
        .execute();
    }
    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { group: "aid" })
    ).json();
    const joined = await postForm(new URL(invitation.url), {
      username: "maria",
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
    expect(joined.status).toBe(303);
    const cookie = [joined.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
    const html = await (
      await fetch(new URL("/workspace/groups/aid/network", instance.config.origin), {
        headers: { cookie },
      })
    ).text();
    const itemOf = (title: string) => {
      const start = html.indexOf(title);
      expect(start, title).toBeGreaterThan(-1);
      return html.slice(start, html.indexOf("</li>", start));
    };
    const boats = itemOf("Boats for the flooded streets");
    expect(boats).toContain("Fully pledged");
    const pledgeForm = 'action="/workspace/groups/aid/pledges"';
    expect(boats).not.toContain(pledgeForm);
    expect(boats).not.toContain("still needed");
    const vests = itemOf("Life vests for the rescue team");
    expect(vests).toContain("4 still needed");
    expect(vests).toContain(pledgeForm);
  });
});
