import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/domain/ids.ts";
import { launchBrowser, type TestBrowser } from "./helpers/browser.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * Nothing scrolls sideways on a small phone (360 × 740 CSS pixels, no
 * script), whatever people typed: every public and workspace page is visited
 * with a long unbroken link in every title, description, name and place,
 * each as long as its field allows (a 300-character link where the field
 * takes it), and the document must be no wider than the screen.
 */
const WIDTH = 360;

/** An unbroken link of exactly `length` characters. */
function longLink(length: number): string {
  const head = "https://relief.example.org/";
  return head + "x".repeat(length - head.length);
}

describe("on a 360 px wide phone without script", () => {
  let instance: TestInstance;
  let browser: TestBrowser;
  let page: Page;
  const ids: Record<string, string> = {};
  const url = (p: string) => new URL(p, instance.config.origin).href;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await instance.api(method, path, body);
    expect(res.status, `${method} ${path}`).toBeLessThan(300);
    return res.status === 204 ? null : res.json();
  };

  const widthOf = async (path: string) => {
    const res = await page.goto(url(path));
    expect(res?.status(), path).toBe(path === "/no-such-page" ? 404 : 200);
    return page.evaluate(() => document.documentElement.scrollWidth);
  };

  beforeAll(async () => {
    browser = await launchBrowser({ javaScript: false });
    page = await browser.context.newPage();
    await page.setViewportSize({ width: WIDTH, height: 740 });
    instance = await startTestInstance();
    await api("POST", "/api/v1/groups", {
      handle: "food",
      name: `Food ${"x".repeat(95)}`,
      summary: `Hot meals. ${longLink(300)} every day.`,
    });
    const incident = await api("POST", "/api/v1/groups/food/incidents", {
      name: `Flood ${longLink(190)}`,
      description: `Rivers over their banks: ${longLink(300)}`,
      area: { center: { latitude: 14.6, longitude: 120.98 }, radiusKm: 40 },
      startsAt: "2026-01-01T00:00:00Z",
    });
    ids.incident = incident.id;
    for (const kind of ["needs", "offers"] as const) {
      const posted = await api("POST", `/api/v1/groups/food/${kind}`, {
        title: `See ${longLink(190)}`,
        description: `Details: ${longLink(300)}\n\n${longLink(300)}`,
        category: "water",
        urgency: "critical",
        quantity: { amount: 40, unit: "litre" },
        location: { name: longLink(200), latitude: 14.6, longitude: 120.98 },
        expiresAt: "2099-12-24T09:00:00Z",
        incident: incident.objectId,
      });
      ids[kind] = posted.id;
    }
    await api("POST", "/api/v1/groups/food/places", {
      name: longLink(120),
      latitude: 14.6,
      longitude: 120.98,
    });
    // A group on another instance that this one follows: its need (with a
    // long name as it arrived) is on the network page and the allies board,
    // and a pledge to it on the pledges pages.
    const db = instance.database.db;
    const group = await db
      .selectFrom("groups")
      .select("id")
      .where("handle", "=", "food")
      .executeTakeFirstOrThrow();
    const actor = `https://far.example/groups/${"r".repeat(60)}`;
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
    const remoteId = newId();
    const objectId = `https://far.example/objects/${remoteId}`;
    await db
      .insertInto("remote_proposals")
      .values({
        id: remoteId,
        object_id: objectId,
        origin_actor_id: actor,
        origin_actor_name: `Relief ${"y".repeat(90)}`,
        origin_actor_handle: null,
        kind: "proposal",
        purpose: "request",
        title: `Boats ${longLink(190)}`,
        summary_text: `See ${longLink(300)}`,
        category: "transport",
        category_uri: "urn:bayanihan:category:transport",
        quantity_amount: "3",
        quantity_unit: "one",
        remaining_amount: "3",
        location_name: longLink(200),
        latitude: 14.6,
        longitude: 120.98,
        urgency: "high",
        status: "open",
        expires_at: null,
        url: `https://far.example/needs/${remoteId}`,
        published_at: now,
        remote_updated_at: now,
        received_at: now,
        incident_object_id: incident.objectId,
      })
      .execute();
    ids.pledge = newId();
    await db
      .insertInto("pledges")
      .values({
        id: ids.pledge,
        group_id: group.id,
        object_id: objectId,
        intent_id: `${objectId}#primary`,
        target_actor_id: actor,
        offer_id: `https://aid.example/offers/${ids.pledge}`,
        quantity_amount: "1",
        quantity_unit: "one",
        message: `We have one: ${longLink(300)}`,
        state: "pending",
        reason: null,
        agreement_id: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const token = await api("POST", "/api/v1/groups/food/tokens", { label: longLink(100) });
    expect(token.token).toBeTruthy();
    ids.tokenId = (await api("GET", "/api/v1/groups/food/tokens")).items[0].id;
    // Someone answers the need through its page, and asks for help without an account.
    const help = await postForm(new URL(`/needs/${ids.needs}/help`, instance.config.origin), {
      message: `Look: ${longLink(300)}`,
      contact: longLink(300),
    });
    expect(help.status).toBe(201);
    await page.goto(url("/groups/food/ask?lang=en"));
    await page.getByLabel("What do you need?").fill(`Wheelchair ${longLink(190)}`);
    await page.getByLabel("Kind of help").selectOption("medical");
    await page.getByLabel("How can the collective reach you?").fill(longLink(290));
    await page.getByLabel("Where (optional)").fill(longLink(190));
    await page.getByRole("button", { name: "Send my request" }).click();
    ids.requestStatus = new URL((await page.locator("p.secret").textContent())!).pathname;
    // An instance admin signs in: every workspace page is theirs to see.
    const invitation = await api("POST", "/api/v1/admin/invitations", { admin: true });
    await page.goto(invitation.url);
    await page.getByLabel("Username").fill("root");
    await page.getByLabel("Password", { exact: true }).fill("an admin passphrase");
    await page.getByLabel("Password again").fill("an admin passphrase");
    await page.getByRole("button", { name: "Create my account" }).click();
    await page.waitForURL((u) => u.pathname === "/workspace");
    ids.invitation = new URL(
      (await api("POST", "/api/v1/admin/invitations", { group: "food" })).url,
    ).pathname;
    const [response] = (await api("GET", `/api/v1/needs/${ids.needs}/responses`)).items;
    ids.response = response.id;
  });
  afterAll(async () => {
    await browser?.close();
    await instance?.stop();
  });

  it("keeps every public and workspace page within the screen's width", async () => {
    // The received need and the pledge are on the pages that list them.
    expect(await page.goto(url("/workspace/groups/food/network")).then((r) => r?.text())).toContain(
      "Boats https://relief.example.org/",
    );
    const g = "/workspace/groups/food";
    const pages = [
      "/",
      "/groups/food",
      "/groups/food?lang=es",
      "/groups/food/ask",
      "/groups/food/offer",
      "/groups/food/board",
      "/groups/food/print",
      `/needs/${ids.needs}`,
      `/offers/${ids.offers}`,
      `/incidents/${ids.incident}`,
      `/incidents/${ids.incident}/text`,
      ids.requestStatus!,
      ids.invitation!,
      "/login",
      "/no-such-page",
      "/workspace",
      `${g}/triage`,
      `${g}/posts`,
      `${g}/posts/new?purpose=request`,
      `${g}/posts/${ids.needs}/edit`,
      `${g}/posts/${ids.needs}/delete`,
      `${g}/posts/${ids.needs}/responses`,
      `${g}/responses/${ids.response}`,
      `${g}/notifications`,
      `${g}/pledges`,
      `${g}/pledges/${ids.pledge}/withdraw`,
      `${g}/network`,
      `${g}/following`,
      `${g}/followers`,
      `${g}/places`,
      `${g}/incidents`,
      `${g}/incidents/new`,
      `${g}/incidents/${ids.incident}/close`,
      "/workspace/admin/groups",
      "/workspace/admin/accounts",
      "/workspace/admin/invitations",
      "/workspace/admin/federation",
      "/workspace/admin/groups/food/tokens",
      `/workspace/admin/groups/food/tokens/${ids.tokenId}/revoke`,
    ];
    const tooWide: Record<string, number> = {};
    for (const path of pages) {
      const width = await widthOf(path);
      if (width > WIDTH) tooWide[path] = width;
    }
    expect(tooWide).toEqual({});
  });

  it("would notice a page wider than the screen", async () => {
    // The measure itself: a page the browser must scroll sideways.
    await page.setContent(`<p style="white-space:nowrap">${longLink(300)}</p>`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeGreaterThan(WIDTH);
  });
});
