import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium (installed by `.ci/run`); never a browser that a tool downloads. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * One Chromium per test file, on a fresh profile. A missing Chromium is an
 * error, never a skip: the browser tests are how the pages are known to work.
 */
export async function launchBrowser(
  options: {
    readonly javaScript?: boolean;
    /** The browser's language, which it sends as Accept-Language. */
    readonly locale?: string;
  } = {},
): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium" (.ci/run does)`,
    );
  }
  const profile = await mkdtemp(path.join(tmpdir(), "bayanihan-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    // A mid-range phone: the people these pages are for.
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 1,
    locale: options.locale ?? "en-GB",
    // Off: the pages must work for people whose browser runs no script.
    javaScriptEnabled: options.javaScript ?? true,
  });
  // Fail a step with its own message well before the test's timeout.
  context.setDefaultTimeout(8_000);
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8",
);

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

/**
 * Runs axe-core on the page and returns its serious and critical violations.
 * It is evaluated through the DevTools protocol, which the page's CSP (no
 * scripts at all) does not apply to.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } })
      .axe;
    const result = await axe.run();
    return result.violations as {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: string[] }[];
    }[];
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
    }));
}

/** Bytes on the wire (headers and encoded bodies) for loading `url` with the cache off. */
export async function transferredBytes(page: Page, url: string): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  let total = 0;
  cdp.on("Network.loadingFinished", (event) => {
    total += event.encodedDataLength;
  });
  await page.goto(url, { waitUntil: "load" });
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
  await cdp.detach();
  return total;
}
