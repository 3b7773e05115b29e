import { jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import type { Proposal } from "../../domain/proposal.ts";
import { type PageContext, zoneOf } from "../context.ts";
import { formatDeadline, formatInstant, formatQuantity } from "../format.ts";
import { Layout } from "../layout.ts";

/**
 * A group's open needs on paper, for a notice board or a meeting: every fact
 * written out (links do not work on paper), the page's address at the end.
 */
export function PrintPage({
  page,
  group,
  needs,
  now,
}: {
  page: PageContext;
  group: Group;
  needs: readonly Proposal[];
  now: Temporal.Instant;
}) {
  const { t, locale, urls } = page;
  const zone = zoneOf(page, group);
  return Layout({
    page,
    title: t.printHeading(group.name),
    children: [
      h("h1", null, t.printHeading(group.name)),
      h("p", { class: "meta" }, t.printedOn(formatInstant(now, locale, zone))),
      needs.length === 0
        ? h("p", null, t.noneRightNow)
        : h(
            "ol",
            { class: "items" },
            needs.map((p) =>
              h(
                "li",
                null,
                h("strong", null, p.title),
                ` (${t.urgencies[p.urgency]})`,
                h(
                  "div",
                  null,
                  [
                    t.categories[p.category],
                    p.quantity === null
                      ? null
                      : formatQuantity(p.quantity.amount, p.quantity.unit, locale),
                    p.location?.name ?? null,
                    p.expiresAt === null
                      ? null
                      : `${t.neededBy} ${formatDeadline({ expiresAt: p.expiresAt, expiresOn: p.expiresOn }, locale, zone)}`,
                  ]
                    .filter((part) => part !== null)
                    .join(" · "),
                ),
                p.description === "" ? null : h("div", { class: "meta" }, p.description),
              ),
            ),
          ),
      h("p", null, urls.group(group.handle).href),
    ],
  });
}
