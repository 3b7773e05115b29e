import { jsx as h } from "hono/jsx";
import type { NearProblem, NearQuery } from "../../domain/near.ts";
import type { PageContext } from "../context.ts";
import { formatKm } from "../format.ts";
import { nearProblemText } from "../i18n/problem-text.ts";

/** `lat,lon` as the near= parameter takes it. */
export const nearParameter = (near: NearQuery) =>
  `${near.center.latitude},${near.center.longitude}`;

/**
 * Says which distance filter a list page applies (`showing` words it for
 * that page's order), with a link back to everything; or why the place
 * given could not be read, so nobody takes the whole list for what is near.
 */
export function NearNotice({
  page,
  base,
  filters,
  showing,
}: {
  page: PageContext;
  base: string;
  filters: {
    readonly near?: NearQuery | undefined;
    readonly nearProblem?: NearProblem | undefined;
    readonly nearUnknownPlace?: string | undefined;
  };
  showing: (km: string, place: string) => string;
}) {
  const { t, locale } = page;
  if (filters.nearUnknownPlace !== undefined) {
    return h(
      "p",
      { class: "notice", role: "status" },
      t.nearUnknownPlace(filters.nearUnknownPlace),
    );
  }
  if (filters.nearProblem !== undefined) {
    return h(
      "p",
      { class: "notice", role: "status" },
      t.nearInvalid(nearProblemText(t, filters.nearProblem)),
    );
  }
  if (filters.near === undefined) return null;
  return h(
    "p",
    { class: "notice", role: "status" },
    showing(formatKm(filters.near.km, locale), filters.near.place ?? nearParameter(filters.near)),
    " ",
    h("a", { href: base }, t.nearClear),
  );
}
