import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, seriousAxeViolations, type TestBrowser } from "./helpers/browser.ts";
import { testEngine } from "./helpers/database.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * A volunteer with JavaScript off finds an incident from the home page,
 * and gets to it again from a need tagged with it: from the collective's
 * list and from the need's own page.
 */
describe(`finding an incident in a browser without JavaScript (${testEngine})`, () => {
  let instance: TestInstance;
  let browser: TestBrowser;
  let page: Page;
  /** axe-core and the width check run in a page of their own, with JavaScript, on the HTML the other page shows. */
  let checker: TestBrowser;
  let checkPage: Page;
  let incidentPath: string;

  const url = (p: string) => new URL(p, instance.config.origin).href;
  const checkShownPage = async () => {
    await checkPage.goto(url("/healthz"));
    await checkPage.setContent(await page.content());
    expect(await seriousAxeViolations(checkPage)).toEqual([]);
    // Nothing scrolls sideways on a small phone.
    await checkPage.setViewportSize({ width: 360, height: 740 });
    expect(
      await checkPage.evaluate(
        () => document.documentElement.scrollWidth <= document.documentElement.clientWidth,
      ),
    ).toBe(true);
    await checkPage.setViewportSize({ width: 390, height: 844 });
  };

  beforeAll(async () => {
    browser = await launchBrowser({ javaScript: false });
    page = await browser.context.newPage();
    checker = await launchBrowser();
    checkPage = await checker.context.newPage();
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Barangay Food" });
    await instance.api("POST", "/api/v1/groups", { handle: "water", name: "Water Brigade" });
    const token = (await (await instance.api("POST", "/api/v1/groups/food/tokens")).json()).token;
    const now = Temporal.Now.instant();
    const open = async (name: string) => {
      const res = await instance.api(
        "POST",
        "/api/v1/groups/food/incidents",
        {
          name,
          area: { center: { latitude: 14.6, longitude: 120.98 }, radiusKm: 40 },
          startsAt: now.subtract({ hours: 48 }).toString(),
          endsAt: now.add({ hours: 24 * 30 }).toString(),
        },
        token,
      );
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; objectId: string };
    };
    const typhoon = await open("Typhoon Kiko");
    incidentPath = `/incidents/${typhoon.id}`;
    const old = await open("Old landslide");
    expect(
      (await instance.api("POST", `/api/v1/incidents/${old.id}/close`, {}, token)).status,
    ).toBe(200);
    const tagged = await instance.api(
      "POST",
      "/api/v1/groups/food/needs",
      { title: "Drinking water, 200 litres", category: "water", incident: typhoon.objectId },
      token,
    );
    expect(tagged.status).toBe(201);
    await instance.api(
      "POST",
      "/api/v1/groups/food/needs",
      { title: "Rice", category: "food" },
      token,
    );
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await checker?.close();
    await instance?.stop();
  });

  it("finds the incident from the home page, and again from a tagged need", async () => {
    await page.goto(url("/?lang=en"));
    const active = page.getByRole("region", { name: "Active incidents" });
    expect(await active.getByRole("link").allTextContents()).toEqual(["Typhoon Kiko"]);
    await checkShownPage();
    await active.getByRole("link", { name: "Typhoon Kiko" }).click();
    expect(new URL(page.url()).pathname).toBe(incidentPath);
    expect(await page.locator("h1").textContent()).toContain("Typhoon Kiko");
    expect(await page.locator("main").textContent()).toContain("Drinking water, 200 litres");

    // The collective taking part lists it too; the other one does not.
    await page.goto(url("/groups/food"));
    expect(
      await page.getByRole("region", { name: "Active incidents" }).getByRole("link").count(),
    ).toBe(1);
    const item = page.locator("li", { hasText: "Drinking water, 200 litres" });
    expect(await item.textContent()).toContain("Incident: Typhoon Kiko");
    expect(
      await page
        .locator("li", { hasText: "Rice" })
        .getByRole("link", { name: "Typhoon Kiko" })
        .count(),
    ).toBe(0);
    await checkShownPage();
    await item.getByRole("link", { name: "Typhoon Kiko" }).click();
    expect(new URL(page.url()).pathname).toBe(incidentPath);

    await page.goto(url("/groups/food"));
    await page.getByRole("link", { name: "Drinking water, 200 litres" }).click();
    expect(await page.locator("dl.facts").textContent()).toContain("IncidentTyphoon Kiko");
    await checkShownPage();
    await page.locator("dl.facts").getByRole("link", { name: "Typhoon Kiko" }).click();
    expect(new URL(page.url()).pathname).toBe(incidentPath);

    await page.goto(url("/groups/water"));
    expect(await page.getByRole("region", { name: "Active incidents" }).count()).toBe(0);
    // Every public page leads coordinators to signing in.
    await page.getByRole("link", { name: "Coordinators: sign in" }).click();
    expect(new URL(page.url()).pathname).toBe("/login");
  });

  it("draws the workspace menu and the new workspace pages accessibly", async () => {
    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { admin: true })
    ).json();
    await page.goto(invitation.url);
    await page.getByLabel("Username").fill("root");
    await page.getByLabel("Password", { exact: true }).fill("an admin passphrase");
    await page.getByLabel("Password again").fill("an admin passphrase");
    await page.getByRole("button", { name: "Create my account" }).click();
    await page.locator("h1", { hasText: "Workspace" }).waitFor();
    const menu = page.getByRole("navigation", { name: "Workspace menu" });
    await checkShownPage();

    await menu.getByRole("link", { name: "Settings" }).first().click();
    expect(await page.locator("h1").textContent()).toBe("Settings of Barangay Food");
    await page.getByLabel("Time zone (optional)").fill("Nowhere/Land");
    await page.getByRole("button", { name: "Save" }).click();
    expect(await page.locator("#s-timeZone-error").textContent()).toContain("not a time zone");
    await checkShownPage();

    await menu.getByRole("link", { name: "Your account" }).click();
    await page.getByLabel("Current password").fill("wrong password!");
    await page.getByLabel("New password", { exact: true }).fill("a new admin passphrase");
    await page.getByLabel("New password again").fill("a new admin passphrase");
    await page.getByRole("button", { name: "Change the password" }).click();
    expect(await page.locator("#current-error").textContent()).toBe(
      "This is not your current password.",
    );
    await checkShownPage();

    await page.goto(url("/workspace/admin/invitations"));
    await page.getByLabel("Account for").selectOption("group:water");
    await page.getByRole("button", { name: "Create the link" }).click();
    expect(await page.locator("#open-invitations li").count()).toBe(1);
    await checkShownPage();

    await page.goto(url("/workspace/admin/federation"));
    await page.getByLabel("Allowlist: only with servers allowed below").check();
    await page.getByRole("button", { name: "Save" }).click();
    expect(await page.locator("h1").textContent()).toBe("Allowlist mode with no server allowed?");
    await checkShownPage();

    const reset = await (
      await instance.api("POST", "/api/v1/admin/password-resets", { username: "root" })
    ).json();
    await page.goto(reset.url);
    expect(await page.locator("h1").textContent()).toBe("Set a new password");
    await checkShownPage();
  });
});
