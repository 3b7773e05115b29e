import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, seriousAxeViolations, type TestBrowser } from "./helpers/browser.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * A date picked on a form, in Chromium with JavaScript off, comes back as
 * that same date, with the collective's zone named next to the field and
 * its times; every page visited is checked with axe-core.
 */
describe("dates in a browser without JavaScript", () => {
  let instance: TestInstance;
  let browser: TestBrowser;
  let page: Page;
  /** axe-core needs scripts: it checks the same pages in a browser with them on. */
  let axeBrowser: TestBrowser;
  let axePage: Page;
  const expectAccessible = async (path: string) => {
    await axePage.goto(url(path));
    expect(await seriousAxeViolations(axePage)).toEqual([]);
  };

  const url = (p: string) => new URL(p, instance.config.origin).href;

  beforeAll(async () => {
    browser = await launchBrowser({ javaScript: false });
    page = await browser.context.newPage();
    axeBrowser = await launchBrowser();
    axePage = await axeBrowser.context.newPage();
    instance = await startTestInstance({ env: { TIME_ZONE: "Asia/Manila" } });
    await instance.api("POST", "/api/v1/groups", {
      handle: "food",
      name: "Barangay Food Collective",
      timeZone: "Pacific/Kiritimati",
    });
  });
  afterAll(async () => {
    await browser?.close();
    await axeBrowser?.close();
    await instance?.stop();
  });

  it("shows a picked date back as that date, with the zone's abbreviation", async () => {
    // JavaScript is off: a page's own script does not run.
    await page.setContent('<title>off</title><script>document.title = "on"</script>');
    expect(await page.title()).toBe("off");
    await page.goto(url("/groups/food/ask?lang=es"));
    await expectAccessible("/groups/food/ask?lang=es");
    // The hint names the zone the day ends in.
    await expect
      .poll(() => page.locator("#f-neededBy-hint").textContent())
      .toContain("Pacific/Kiritimati (GMT+14)");
    await page.getByLabel("¿Qué necesitas?").fill("Agua potable");
    await page.getByLabel("Tipo de ayuda").selectOption("water");
    await page.getByLabel("Se necesita antes de (opcional)").fill("2099-12-09");
    await page.getByLabel("¿Cómo puede contactarte el colectivo?").fill("0917 000 0000");
    await page.getByRole("button", { name: "Enviar mi pedido" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Recibimos tu pedido");
    // The form leads to the request's own page, which shows what was sent.
    await expect
      .poll(() => page.locator("dl.facts").textContent())
      .toContain("9 de diciembre de 2099");
    const facts = (await page.locator("dl.facts").textContent()) ?? "";
    expect(facts).not.toContain("10 de diciembre de 2099");
    // When it was sent: a time, in the collective's zone, abbreviation named.
    expect(facts).toContain("GMT+14");
    await expectAccessible(new URL(page.url()).pathname);
  });
});
