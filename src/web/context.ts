import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { collectiveZone } from "../domain/time-zone.ts";
import type { InstanceUrls } from "../urls.ts";
import type { Messages } from "./i18n/en.ts";
import { isLocale, type Locale, messagesFor, negotiateLocale } from "./i18n/locale.ts";

/** What every page needs to render: the reader's language and where things live. */
export interface PageContext {
  readonly locale: Locale;
  readonly t: Messages;
  readonly urls: InstanceUrls;
  /** The current path and query, for the language switch's links. */
  readonly currentUrl: URL;
  /**
   * The zone this page shows times in: the instance's TIME_ZONE, or a
   * collective's own for a page of that collective (`collectivePage`, or
   * `zoneOf(page, group)` where a component has the group at hand).
   */
  readonly timeZone: string;
  /** On a signed-in page: the collectives its workspace menu leads to. */
  readonly workspaceMenu?: readonly MenuGroup[] | undefined;
}

/** A collective in the workspace menu, with how many requests wait untriaged. */
export interface MenuGroup {
  readonly handle: string;
  readonly name: string;
  readonly newRequests: number;
}

declare module "hono" {
  interface ContextVariableMap {
    /** The instance's TIME_ZONE, set for every page by `registerWebPages`. */
    instanceTimeZone: string;
    /** Set on signed-in routes (`routes/shared.workspaceMenu`): the collectives of the page's menu. */
    menuGroups: readonly MenuGroup[];
  }
}

/** A collective's page: its times in the collective's zone. */
export function collectivePage(
  page: PageContext,
  group: { readonly timeZone?: string | null } | null,
): PageContext {
  return group === null ? page : { ...page, timeZone: zoneOf(page, group) };
}

/** The zone a collective's page shows times in: its own, else the page's (the instance's). */
export function zoneOf(page: PageContext, group: { readonly timeZone?: string | null }): string {
  return collectiveZone(group, page.timeZone);
}

const LANG_COOKIE = "lang";
const ONE_YEAR_SECONDS = 365 * 24 * 3600;

/**
 * Reads the language choice; a `?lang=` from the switch is remembered in a
 * cookie so the next pages (and form submissions) stay in that language.
 */
export function pageContext(c: Context, urls: InstanceUrls): PageContext {
  const query = c.req.query("lang");
  const locale = negotiateLocale({
    query,
    cookie: getCookie(c, LANG_COOKIE),
    acceptLanguage: c.req.header("accept-language"),
  });
  if (isLocale(query)) {
    setCookie(c, LANG_COOKIE, query, {
      path: "/",
      maxAge: ONE_YEAR_SECONDS,
      sameSite: "Lax",
      secure: urls.origin.protocol === "https:",
    });
  }
  // The page is different per language: caches must keep them apart.
  c.header("Vary", "Accept, Accept-Language, Cookie");
  c.header("Content-Language", locale);
  return {
    locale,
    t: messagesFor(locale),
    urls,
    currentUrl: new URL(c.req.url),
    timeZone: c.get("instanceTimeZone") ?? "UTC",
    workspaceMenu: c.get("menuGroups"),
  };
}
