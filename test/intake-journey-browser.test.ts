import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, seriousAxeViolations, type TestBrowser } from "./helpers/browser.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * Asking for help as a Spanish speaker on a small phone whose browser runs
 * no script: from the collective's page to the request's own page, which
 * keeps the private link across a language switch and a reload (one request
 * only), and where the request is withdrawn.
 */
describe("asking for help on a small phone without JavaScript", () => {
  let instance: TestInstance;
  let browser: TestBrowser;
  let page: Page;
  /** axe-core and the width check run in a page of their own, with JavaScript, on the same HTML. */
  let checker: TestBrowser;
  let checkPage: Page;

  const url = (p: string) => new URL(p, instance.config.origin).href;
  const expectAccessibleAndNarrow = async () => {
    await checkPage.goto(url("/healthz"));
    await checkPage.setContent(await page.content());
    expect(await seriousAxeViolations(checkPage)).toEqual([]);
    const width = await checkPage.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(360);
  };
  const requests = () =>
    instance.database.db.selectFrom("intake_requests").select(["title", "state"]).execute();

  beforeAll(async () => {
    browser = await launchBrowser({ javaScript: false });
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 360, height: 740 });
    checker = await launchBrowser();
    checkPage = await checker.context.newPage();
    await checkPage.setViewportSize({ width: 360, height: 740 });
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", {
      handle: "food",
      name: "Barangay Food Collective",
      summary: "Hot meals and groceries for families in Barangay 12.",
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await checker?.close();
    await instance?.stop();
  });

  it("lands on the request's page, keeps the link across a language switch and a reload, and withdraws", async () => {
    await page.goto(url("/groups/food"));
    await page.getByRole("link", { name: "Español" }).click();
    await page.getByRole("link", { name: "Pedir ayuda" }).click();
    await page.getByLabel("¿Qué necesitas?").fill("Leche de fórmula para dos semanas");
    await page.getByLabel("Tipo de ayuda").selectOption("food");
    await page.getByLabel("¿Cómo puede contactarte el colectivo?").fill("María, 0917 000 0000");
    await expectAccessibleAndNarrow();
    await page.getByRole("button", { name: "Enviar mi pedido" }).click();

    // The request's own page: its address is the private link.
    await expect.poll(() => page.locator("h1").textContent()).toBe("Recibimos tu pedido");
    const link = (await page.locator("p.secret").textContent())!;
    expect(link).toMatch(/\/requests\/[A-Za-z0-9_-]{43}$/);
    expect(new URL(page.url()).pathname).toBe(new URL(link).pathname);
    expect(await page.locator("#contact-erasure").textContent()).toContain("se borran 30 días");
    await expectAccessibleAndNarrow();

    // Switching language keeps the person on the same page, link and all.
    await page.getByRole("link", { name: "English" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Your request was received");
    expect(await page.locator("p.secret").textContent()).toBe(link);
    await page.getByRole("link", { name: "Español" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Recibimos tu pedido");
    expect(await page.locator("p.secret").textContent()).toBe(link);

    // A reload asks for the page again, it does not send the form again.
    await page.reload();
    expect(await page.locator("p.secret").textContent()).toBe(link);
    expect(await requests()).toEqual([
      { title: "Leche de fórmula para dos semanas", state: "new" },
    ]);

    await page.getByRole("button", { name: "Retirar" }).click();
    await expect
      .poll(() => page.locator("[data-state]").getAttribute("data-state"))
      .toBe("withdrawn");
    expect(await page.locator("p.secret").textContent()).toBe(link);
    expect(await page.locator("#contact-erasure").textContent()).toContain(
      "Tus datos de contacto se borrarán el",
    );
    await expectAccessibleAndNarrow();
    expect(await requests()).toEqual([
      { title: "Leche de fórmula para dos semanas", state: "withdrawn" },
    ]);
  });
});
