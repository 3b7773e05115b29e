import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, seriousAxeViolations, type TestBrowser } from "./helpers/browser.ts";
import { testEngine } from "./helpers/database.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * A person whose phone asks for Tagalog reaches the pages in Filipino, can
 * ask for help in it, and every page stays accessible (axe) in it.
 */
describe(`the pages in Filipino, in a browser without JavaScript (${testEngine})`, () => {
  let instance: TestInstance;
  let browser: TestBrowser;
  /** With script, for axe only: the pages themselves send none. */
  let checker: TestBrowser;
  let page: Page;
  const url = (p: string) => new URL(p, instance.config.origin).href;

  beforeAll(async () => {
    browser = await launchBrowser({ javaScript: false, locale: "tl-PH" });
    page = await browser.context.newPage();
    checker = await launchBrowser({ locale: "tl-PH" });
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Kusina ng Barangay" });
    const res = await instance.api("POST", "/api/v1/groups/food/needs", {
      title: "Bigas",
      category: "food",
      urgency: "critical",
      quantity: { amount: 50, unit: "kilogram" },
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await checker?.close();
    await instance?.stop();
  });

  const accessible = async (address: string) => {
    const checking = await checker.context.newPage();
    await checking.goto(address);
    expect(await checking.getAttribute("html", "lang"), address).toBe("fil");
    expect(await seriousAxeViolations(checking), address).toEqual([]);
    await checking.close();
  };

  it("shows Filipino from Accept-Language, accessibly, and asks for help in it", async () => {
    for (const path of ["/", "/groups/food", "/groups/food/board", "/login"]) {
      await page.goto(url(path));
      expect(await page.getAttribute("html", "lang"), path).toBe("fil");
      await accessible(url(path));
    }
    await page.goto(url("/groups/food"));
    expect(await page.locator("body").textContent()).toContain("Mga bukas na pangangailangan");
    expect(await page.locator("body").textContent()).toContain("Kritikal");

    await page.goto(url("/groups/food/ask"));
    expect(await page.locator("h1").textContent()).toBe("Humingi ng tulong sa Kusina ng Barangay");
    await page.getByLabel("Ano ang kailangan mo?").fill("Gatas ng sanggol");
    await page.getByLabel("Uri ng tulong").selectOption("food");
    await page.getByLabel("Paano ka makokontak ng samahan?").fill("Ana, 0917 555 0101");
    await page.getByRole("button", { name: "Ipadala ang hiling ko" }).click();
    expect(await page.locator("h1").textContent()).toBe("Natanggap ang hiling mo");
    expect(await page.getAttribute("html", "lang")).toBe("fil");
    // The request's own page, whose address is the private link.
    await accessible(page.url());
  }, 60_000);
});
