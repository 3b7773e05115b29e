import { jsx as h } from "hono/jsx";
import type { Proposal } from "../../domain/proposal.ts";
import type { PageContext } from "../context.ts";
import { formatDate, formatQuantity } from "../format.ts";

/** One line per need or offer: what, how much, how urgent, until when. */
export function ProposalList({ page, items }: { page: PageContext; items: readonly Proposal[] }) {
  const { t, locale, urls } = page;
  if (items.length === 0) return h("p", null, t.noneRightNow);
  return h(
    "ul",
    { class: "items" },
    items.map((p) =>
      h(
        "li",
        null,
        h("a", { href: urls.proposalPage(p.purpose, p.id).pathname }, p.title),
        " ",
        h("span", { class: `tag ${p.urgency}` }, t.urgencies[p.urgency]),
        h(
          "div",
          { class: "meta" },
          [
            t.categories[p.category],
            p.quantity === null ? null : formatQuantity(p.quantity.amount, p.quantity.unit, locale),
            p.location?.name ?? null,
            p.expiresAt === null
              ? null
              : `${p.purpose === "request" ? t.neededBy : t.availableUntil} ${formatDate(p.expiresAt, locale)}`,
          ]
            .filter((part) => part !== null)
            .join(" · "),
        ),
      ),
    ),
  );
}
