import { jsx as h } from "hono/jsx";
import type { PageContext } from "../context.ts";

/**
 * The links between a list's pages: older ones, and back to the newest
 * once the reader has left it. Nothing when the list fits on one page.
 */
export function PageNav({
  page,
  path,
  older,
  onFirstPage,
}: {
  page: PageContext;
  /** The list's own path, without a query. */
  path: string;
  /** The query parameter and value of the next, older page; null on the last page. */
  older: { readonly name: string; readonly value: string } | null;
  onFirstPage: boolean;
}) {
  const { t } = page;
  if (older === null && onFirstPage) return null;
  return h(
    "nav",
    { "aria-label": t.pagesLabel, class: "no-print" },
    h(
      "p",
      { class: "actions" },
      onFirstPage ? null : h("a", { href: path, class: "button secondary" }, t.newestPage),
      older === null
        ? null
        : h(
            "a",
            {
              href: `${path}?${new URLSearchParams({ [older.name]: older.value }).toString()}`,
              class: "button secondary",
              rel: "next",
            },
            t.olderPage,
          ),
    ),
  );
}
