import { type Child, jsx as h } from "hono/jsx";
import { STYLESHEET_PATH } from "./assets.ts";
import type { PageContext } from "./context.ts";
import { LOCALE_NAMES, LOCALES } from "./i18n/locale.ts";

/**
 * Components are Hono JSX called as functions (`h(tag, props, ...children)`)
 * rather than written in `.tsx`: Node runs our TypeScript by stripping types,
 * which does not cover JSX syntax, and the project has no build step. Hono
 * escapes every string child and attribute value either way.
 */
export interface LayoutProps {
  readonly page: PageContext;
  readonly title: string;
  /** The ActivityPub document for this page, so fediverse software can find it. */
  readonly alternate?: URL | undefined;
  /** RSS/Atom feeds of this page's content, for feed readers' autodiscovery. */
  readonly feeds?: readonly FeedLink[] | undefined;
  readonly children: Child;
}

export interface FeedLink {
  readonly href: URL;
  readonly type: "application/rss+xml" | "application/atom+xml";
  readonly title: string;
}

export function Layout({ page, title, alternate, feeds, children }: LayoutProps) {
  const { t, locale } = page;
  return h(
    "html",
    { lang: locale },
    h(
      "head",
      null,
      h("meta", { charset: "utf-8" }),
      h("meta", { name: "viewport", content: "width=device-width,initial-scale=1" }),
      h("title", null, `${title} · ${t.siteName}`),
      alternate === undefined
        ? null
        : h("link", { rel: "alternate", type: "application/activity+json", href: alternate.href }),
      (feeds ?? []).map((feed) =>
        h("link", { rel: "alternate", type: feed.type, title: feed.title, href: feed.href.href }),
      ),
      h("link", { rel: "stylesheet", href: STYLESHEET_PATH }),
    ),
    h(
      "body",
      null,
      h("a", { class: "skip", href: "#main" }, t.skipToContent),
      h(
        "header",
        null,
        h("a", { class: "brand", href: "/" }, t.siteName),
        h(
          "nav",
          { "aria-label": t.language },
          h(
            "ul",
            { class: "lang" },
            LOCALES.map((l) =>
              h(
                "li",
                null,
                h(
                  "a",
                  {
                    href: withLang(page.currentUrl, l),
                    hreflang: l,
                    lang: l,
                    "aria-current": l === locale ? "true" : undefined,
                  },
                  LOCALE_NAMES[l],
                ),
              ),
            ),
          ),
        ),
      ),
      h("main", { id: "main" }, children),
      h(
        "footer",
        null,
        h(
          "p",
          null,
          t.footer,
          " ",
          h("a", { href: "/" }, t.home),
          " · ",
          // Signed-in pages lead back to the workspace; every other page to signing in.
          page.workspaceMenu === undefined
            ? h("a", { href: "/login" }, t.footerSignIn)
            : h("a", { href: "/workspace" }, t.workspace),
        ),
      ),
    ),
  );
}

/** The current page's path and query with `lang` set: the switch keeps the reader where they are. */
function withLang(current: URL, locale: string): string {
  const params = new URLSearchParams(current.search);
  params.set("lang", locale);
  return `${current.pathname}?${params.toString()}`;
}

/** A complete HTML document. */
export function renderDocument(node: Child): string {
  return `<!doctype html>${String(node)}`;
}
