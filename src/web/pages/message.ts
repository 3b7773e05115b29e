import { jsx as h } from "hono/jsx";
import type { PageContext } from "../context.ts";
import { Layout } from "../layout.ts";

/** A page with a heading and one sentence: not found, removed, and the like. */
export function MessagePage({
  page,
  title,
  text,
}: {
  page: PageContext;
  title: string;
  text: string;
}) {
  return Layout({ page, title, children: [h("h1", null, title), h("p", null, text)] });
}
