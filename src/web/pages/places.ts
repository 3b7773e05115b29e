import { jsx as h } from "hono/jsx";
import type { GroupPlace } from "../../db/group-places.repo.ts";
import type { Group } from "../../domain/group.ts";
import { formatCoordinates } from "../format.ts";
import { FormField } from "./form-field.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** What was typed into the add form, and what is wrong with it. */
export interface PlaceFormInput {
  readonly name: string;
  readonly where: string;
  readonly problems: { readonly name?: string; readonly where?: string };
}

/**
 * The collective's own named places: the forms offer them before any town.
 * Added by a map link or coordinates (a place that has no point is no use
 * to a map), deleted with a button.
 */
export function GroupPlacesPage({
  page,
  account,
  csrf,
  group,
  places,
  notice,
  input,
}: WorkspaceView & {
  group: Group;
  places: readonly GroupPlace[];
  notice?: string | undefined;
  input?: PlaceFormInput | undefined;
}) {
  const { t } = page;
  const base = `/workspace/groups/${group.handle}/places`;
  const problems = input?.problems ?? {};
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.groupPlacesHeading(group.name),
    notice,
    actions: [{ href: `/workspace/groups/${group.handle}/posts`, text: t.posts }],
    children: [
      h("p", null, t.groupPlacesIntro),
      places.length === 0
        ? h("p", null, t.groupPlacesEmpty)
        : h(
            "ul",
            { class: "items" },
            places.map((p) =>
              h(
                "li",
                null,
                h("strong", null, p.name),
                ` (${formatCoordinates(p.latitude, p.longitude)}) `,
                h(
                  "form",
                  { method: "post", action: `${base}/${p.id}/delete`, class: "inline" },
                  csrfInput(csrf),
                  h(
                    "button",
                    { type: "submit", class: "secondary", "aria-label": t.deletePlace(p.name) },
                    t.deletePost,
                  ),
                ),
              ),
            ),
          ),
      h("h2", null, t.addPlace),
      Object.keys(problems).length > 0
        ? h("div", { class: "notice problem", role: "alert" }, t.problemSummary)
        : null,
      h(
        "form",
        { method: "post", action: base, class: "stack" },
        csrfInput(csrf),
        FormField({
          id: "gp-name",
          name: "name",
          label: t.placeName,
          problem: problems.name,
          control: (a) =>
            h("input", { ...a, type: "text", required: true, maxlength: 120, value: input?.name }),
        }),
        FormField({
          id: "gp-where",
          name: "where",
          label: t.placeWhere,
          hint: t.placeWhereHint,
          problem: problems.where,
          control: (a) =>
            h("input", {
              ...a,
              type: "text",
              required: true,
              maxlength: 2000,
              value: input?.where,
            }),
        }),
        h("div", null, h("button", { type: "submit" }, t.addPlace)),
      ),
    ],
  });
}
